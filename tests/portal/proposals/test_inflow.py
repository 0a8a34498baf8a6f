"""Reported inflow in Trin 3: the problem document uses the call's uploaded file instead of the
model, a run records which inflow it used (a what-if keeps its parent's), and the proposal
page and the PDFs name the inflow the run used."""

from __future__ import annotations

import pytest

from geo.inflow import model_inflow
from portal.calls import services as calls
from portal.models import RunKind
from portal.proposals import services
from portal.proposals.figures import inflow_source
from portal.proposals.problem import Targets, build_problem, problem_hash
from selection.problem import parse_problem
from tests.portal.proposals.arrange import pdf_text, signed_in, squeezed
from tests.portal.proposals.conftest import BASE_TARGETS, computed_run

# Figures to check by hand: HK in two municipalities (København, Frederiksberg), 3F in one.
ROWS = (("HK", "101", 1234.0), ("HK", "147", 56.5), ("3F", "751", 310.0))
SHA = "ab" * 32


def _upload(db, trin3, rows=ROWS, *, sha256: str = SHA, filename: str = "tilgang-2024.csv"):
    upload = calls.upload_inflow(
        db,
        trin3.admin.id,
        trin3.call,
        calls.NewInflowUpload(filename, sha256, 1000, 2024, tuple(rows)),
    )
    db.commit()
    return upload


def _funds(document) -> dict:
    return {f["id"]: f for f in document["funds"]}


def test_uploaded_inflow_replaces_the_model_for_the_a_kasser_in_the_file(db, trin3) -> None:
    modelled = build_problem(db, trin3.call, Targets())
    upload = _upload(db, trin3)
    built = build_problem(db, trin3.call, Targets())
    funds = _funds(built.document)

    # The file's figures, and nothing else, for the a-kasser in it.
    assert funds["HK"]["inflow"] == {"101": 1234.0, "147": 56.5}
    assert funds["3F"]["inflow"] == {"751": 310.0}
    # Every other a-kasse keeps the modelled inflow, to the cent.
    for fund_id, fund in _funds(modelled.document).items():
        if fund_id not in ("HK", "3F"):
            assert funds[fund_id]["inflow"] == fund["inflow"], fund_id
    # The call's national figure stays the denominator of the share.
    assert built.document["national_inflow"] == 150000.0
    # What the run records: in the document (so in the input hash) and in its options.
    assert built.document["inflow_source"] == {
        "source": "indberettet",
        "sha256": SHA,
        "year": 2024,
        "reported_funds": ["3F", "HK"],
    }
    assert built.inflow == {
        "source": "indberettet",
        "sha256": SHA,
        "upload_id": upload.id,
        "filename": "tilgang-2024.csv",
        "year": 2024,
    }
    assert modelled.document["inflow_source"] == {"source": "modelleret"}
    assert modelled.inflow == {"source": "modelleret"}
    assert built.sha256 == problem_hash(built.document) != modelled.sha256
    # The optimizer reads it (it ignores `inflow_source`).
    parsed = parse_problem(built.document)
    assert dict(parsed.fund("HK").inflow) == {"101": 1234.0, "147": 56.5}


def test_a_scenario_scales_the_uploaded_inflow(db, trin3) -> None:
    _upload(db, trin3)
    funds = _funds(build_problem(db, trin3.call, Targets(inflow_factor=1.3)).document)
    # 1234 · 1.3 = 1604.2; 56.5 · 1.3 = 73.45; 310 · 1.3 = 403.
    assert funds["HK"]["inflow"] == {"101": 1604.2, "147": 73.45}
    assert funds["3F"]["inflow"] == {"751": 403.0}


def test_zero_rows_and_the_latest_upload(db, trin3) -> None:
    _upload(db, trin3)
    _upload(db, trin3, [("HK", "101", 0.0), ("HK", "151", 20.0)], sha256="cd" * 32)
    document = build_problem(db, trin3.call, Targets()).document
    # The latest file wins; a zero is no inflow; 3F is no longer in a file: modelled again.
    assert _funds(document)["HK"]["inflow"] == {"151": 20.0}
    assert len(_funds(document)["3F"]["inflow"]) == 98
    assert document["inflow_source"]["sha256"] == "cd" * 32
    assert document["inflow_source"]["reported_funds"] == ["HK"]


def test_back_to_the_model_gives_the_modelled_document_again(db, trin3) -> None:
    before = build_problem(db, trin3.call, Targets())
    _upload(db, trin3)
    calls.withdraw_inflow(db, trin3.admin.id, trin3.call)
    db.commit()
    after = build_problem(db, trin3.call, Targets())
    assert after.document == before.document and after.sha256 == before.sha256


def test_a_run_records_its_inflow_and_a_what_if_keeps_its_parents(db, trin3) -> None:
    upload = _upload(db, trin3)
    run = services.start_run(db, trin3.lead, trin3.call, BASE_TARGETS, label="Forslag")
    db.commit()
    assert run.options["inflow"]["upload_id"] == upload.id
    assert run.options["inflow"]["sha256"] == SHA
    assert run.problem["inflow_source"]["sha256"] == SHA
    assert run.input_hash == problem_hash(run.problem)

    # The administrator goes back to the model; the what-if asked of the run still compares
    # like with like: the file's inflow, not the model's.
    calls.withdraw_inflow(db, trin3.admin.id, trin3.call)
    db.commit()
    what_if = services.start_run(
        db,
        trin3.member_a,
        trin3.call,
        Targets(funds_max=4, exclude=("3F",)),
        label="Hvad nu hvis",
        kind=RunKind.WHAT_IF,
        parent=run,
    )
    assert _funds(what_if.problem)["HK"]["inflow"] == {"101": 1234.0, "147": 56.5}
    assert what_if.options["inflow"]["upload_id"] == upload.id
    # A new run from the call uses the model.
    fresh = services.start_run(db, trin3.lead, trin3.call, BASE_TARGETS, label="Forslag")
    assert fresh.problem["inflow_source"] == {"source": "modelleret"}
    assert fresh.options["inflow"] == {"source": "modelleret"}
    # A repeat is the stored problem and options.
    again = services.rerun(db, trin3.lead, run)
    assert again.problem == run.problem and again.options["inflow"] == run.options["inflow"]


def test_inflow_source_names_the_a_kasser_still_modelled() -> None:
    problem = {
        "funds": [{"id": "3F"}, {"id": "HK"}, {"id": "FOA"}],
        "inflow_source": {
            "source": "indberettet",
            "sha256": SHA,
            "year": 2024,
            "reported_funds": ["HK"],
        },
    }
    source = inflow_source(problem, {"inflow": {"filename": "f.csv"}})
    assert (source.reported, source.year, source.sha256, source.filename) == (
        True,
        2024,
        SHA,
        "f.csv",
    )
    assert source.modelled_funds == ("3F", "FOA")
    assert source.label == "indberettet og modelleret tilgang"
    problem["inflow_source"]["reported_funds"] = ["3F", "FOA", "HK"]
    assert inflow_source(problem, {}).label == "indberettet tilgang"
    # A run stored before the source was recorded had the model.
    assert inflow_source({"funds": []}, {}).label == "modelleret tilgang"
    assert inflow_source({"inflow_source": {"source": "modelleret"}}, {}).reported is False


@pytest.fixture()
def reported_run(db, trin3):
    """A computed run on a file with every a-kasse in it (the model's figures, rounded)."""
    table = model_inflow(national_total=float(trin3.call.national_inflow))
    rows = tuple(
        (str(f), str(c), round(float(v), 1))
        for f, c, v in zip(
            table["fund_id"], table["municipality_code"], table["inflow"], strict=True
        )
    )
    _upload(db, trin3, rows, sha256="ef" * 32, filename="tilgang-alle.csv")
    return computed_run(db, trin3, alternatives=0, explanations=False)


def test_proposal_page_and_packet_name_the_reported_inflow(app, trin3, reported_run) -> None:
    assert reported_run.proposals and reported_run.proposals[0].proposal.get("selected")
    client = signed_in(app, trin3.member_a)
    html = client.get(f"/udvaelgelse/forslag/{reported_run.proposals[0].id}").get_data(as_text=True)
    assert (
        "Andelene bygger på indberettet tilgang pr. a-kasse og kommune for 2024 "
        "(filen tilgang-alle.csv, SHA-256 efefefefefef…)."
    ) in html
    assert "mindste påviselige effekt (indberettet tilgang)" in html
    assert "modelleret" not in html.lower()

    response = client.get(f"/udvaelgelse/beregning/{reported_run.id}/moedemateriale.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Tilgangen pr. a-kasse og kommune er indberettet for 2024" in text
    assert "ef" * 32 in squeezed(text)
    assert "modelleret" not in text


def test_a_file_with_some_a_kasser_says_which_are_modelled(app, db, trin3) -> None:
    _upload(db, trin3)
    run = computed_run(db, trin3, alternatives=0, explanations=False)
    html = (
        signed_in(app, trin3.lead)
        .get(f"/udvaelgelse/forslag/{run.proposals[0].id}")
        .get_data(as_text=True)
    )
    assert "Andelene bygger på indberettet tilgang" in html
    assert "A-kasser, der ikke er med i filen, har fortsat modelleret tilgang: AKA, Krifa" in html
    assert "(indberettet og modelleret tilgang)" in html
