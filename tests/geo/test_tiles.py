import shapely

from geo.tiles import are_neighbours, generate_layout, shipped_layout, tile_geometry

# Measured with the DAGI 2014 boundaries: 130 of 186 touching pairs (0.699) are
# neighbouring tiles. The floor leaves a little room for a future regeneration.
NEIGHBOUR_FLOOR = 0.65


def test_tile_layout_has_98_distinct_cells():
    layout = shipped_layout()
    assert len(layout) == 98
    assert len(set(zip(layout["q"], layout["r"], strict=True))) == 98


def test_tile_hexagons_do_not_overlap():
    geometry = tile_geometry()
    hexagons = [shapely.Polygon(geometry.polygons[c][0][0]) for c in geometry.codes]
    assert len(hexagons) == 98
    tree = shapely.STRtree(hexagons)
    left, right = tree.query(hexagons, predicate="intersects")
    shared = [
        hexagons[i].intersection(hexagons[j]).area
        for i, j in zip(left, right, strict=True)
        if i < j
    ]
    assert len(shared) > 98  # neighbours touch ...
    assert max(shared) < 1e-6  # ... but never overlap
    areas = {round(h.area, 6) for h in hexagons}
    assert len(areas) == 1


def test_shipped_layout_matches_generator():
    assert generate_layout().sort_index().equals(shipped_layout().sort_index())


def test_islands_are_placed_and_bornholm_stands_apart():
    layout = shipped_layout()
    cells = {code: (int(row.q), int(row.r)) for code, row in layout.iterrows()}
    for island in ("400", "825", "741", "563", "492"):
        assert island in cells
    assert not any(are_neighbours(cells["400"], cell) for cell in cells.values())


def test_tile_layout_keeps_true_neighbours_together(true_adjacency):
    layout = shipped_layout()
    cells = {code: (int(row.q), int(row.r)) for code, row in layout.iterrows()}
    kept = sum(are_neighbours(cells[a], cells[b]) for a, b in true_adjacency)
    share = kept / len(true_adjacency)
    assert len(true_adjacency) > 150
    assert share >= NEIGHBOUR_FLOOR, f"only {share:.3f} of adjacent pairs are neighbouring tiles"


def test_tile_regions_are_contiguous():
    from geo.reference import municipalities

    region_of = municipalities()["region_code"].to_dict()
    layout = shipped_layout()
    cells = {code: (int(row.q), int(row.r)) for code, row in layout.iterrows()}
    for region in set(region_of.values()):
        members = {c for c in cells if region_of[c] == region and c != "400"}
        start = min(members)
        seen, stack = {start}, [start]
        while stack:
            here = stack.pop()
            for other in members - seen:
                if are_neighbours(cells[here], cells[other]):
                    seen.add(other)
                    stack.append(other)
        assert seen == members, f"region {region} is split"
