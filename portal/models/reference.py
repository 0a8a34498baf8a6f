"""Reference data: regions, municipalities and exclusion lists (frikommuner)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (
        CheckConstraint("length(code) = 3", name="code_three_digits"),
        CheckConstraint("population >= 0", name="population_non_negative"),
    )

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    population: Mapped[int]
    area_km2: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)


class ExclusionList(Base):
    """Municipalities that may never be covered, e.g. the 2019 frikommuner."""

    __tablename__ = "exclusion_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    period: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)

    entries: Mapped[list[ExclusionEntry]] = relationship(
        order_by="ExclusionEntry.municipality_code"
    )


class ExclusionEntry(Base):
    __tablename__ = "exclusion_entries"
    __table_args__ = (UniqueConstraint("list_id", "municipality_code", name="uq_exclusion_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("exclusion_lists.id", ondelete="CASCADE"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    reason: Mapped[str] = mapped_column(Text)
