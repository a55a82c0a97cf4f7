"""Procedure codes: the clinic's CPT CSV (preview, mapping, all-or-nothing import), codes and
modifiers added and edited by hand (checks, optimistic locking, audit), search by code prefix
or words, and the bundled modifier list.

The CPT rows here are invented placeholders in our own words, not AMA descriptors.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from app.errors import ConflictError, NotSignedIn, PermissionDenied, UserError, ValidationError
from app.formats.cpt_csv import CptMapping, FormatError, guess_mapping, read_rows
from app.models import AuditEvent, ImportLog, Modifier, ProcedureCode
from app.services import Services
from app.services.procedure_codes import (
    CptImportResult,
    ModifierData,
    ProcedureCodeService,
    ProcedureData,
    bundled_modifiers,
    import_summary_lines,
)
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

TODAY = date.today()
CPT_ROWS = [["99213", "Office visit est low", "Office visit for a known patient, low complexity"],
            ["0001U", "Lab panel demo", "Proprietary laboratory analysis, demo entry"],
            ["1234F", "Quality measure demo", "Performance measure placeholder entry"],
            ["0042T", "Emerging tech demo", "Emerging technology placeholder entry"]]


@pytest.fixture
def codes(admin: Services) -> ProcedureCodeService:
    return ProcedureCodeService(admin.db, admin.ctx)


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None,
              delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


def n_codes(sv: Services) -> int:
    with sv.db.session() as s:
        return int(s.scalar(select(func.count(ProcedureCode.id))) or 0)


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        found = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.seq)))
        s.expunge_all()
        return found


def sign_in_as(sv: Services, role: str) -> None:
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    sv.users.sign_in(role, add_user(sv, role, role))


# --- CPT: preview and mapping -----------------------------------------------------------------
def test_preview_finds_the_header_and_maps_columns_by_name(codes: ProcedureCodeService,
                                                           tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cpt.csv", [[r[2], r[0], r[1]] for r in CPT_ROWS],
                     ["Long Descriptor", "CPT Code", "Short Descriptor"])
    p = codes.preview_cpt_csv(path, rows=2)
    assert p.headers == ["Long Descriptor", "CPT Code", "Short Descriptor"]
    assert p.mapping == CptMapping(code=1, short=2, long=0, has_header=True)
    assert (len(p.rows), p.total_rows, p.width) == (2, len(CPT_ROWS), 3)
    assert p.rows[0][1] == CPT_ROWS[0][0]


def test_preview_without_a_header_guesses_by_content(codes: ProcedureCodeService,
                                                     tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cpt.txt", [[r[1], r[2], r[0]] for r in CPT_ROWS],
                     delimiter="\t")
    p = codes.preview_cpt_csv(path)
    assert p.headers is None and p.total_rows == len(CPT_ROWS)
    assert p.mapping == CptMapping(code=2, short=0, long=1, has_header=False)


def test_one_text_column_is_the_long_description() -> None:
    rows = read_rows("code|text\n99213|Office visit for a known patient\n")
    assert guess_mapping(rows) == CptMapping(code=0, short=None, long=1, has_header=True)


# --- CPT: import --------------------------------------------------------------------------------
def test_cpt_import_adds_codes_logs_and_audits(admin: Services, codes: ProcedureCodeService,
                                               tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cpt.csv", CPT_ROWS, ["code", "short", "long"])
    result = codes.import_cpt_csv(path, CptMapping(0, 1, 2))
    assert result == CptImportResult(path.name, len(CPT_ROWS), 0, 0)
    d = codes.get("99213")
    assert d is not None
    assert (d.system, d.short_description, d.source, d.is_drug, d.release_version) == (
        "cpt", CPT_ROWS[0][1], "import", False, "")
    with admin.db.session() as s:
        log = s.scalars(select(ImportLog)).one()
    assert (log.kind, log.rows) == ("cpt", len(CPT_ROWS))
    [ev] = events(admin, "codes.import_cpt")
    assert f'"added": {len(CPT_ROWS)}' in ev.details
    assert import_summary_lines(result)[1] == f"  added {len(CPT_ROWS)}, updated 0, unchanged 0"


def test_cpt_reimport_is_refused_and_a_new_file_updates(admin: Services,
                                                        codes: ProcedureCodeService,
                                                        tmp_path: Path) -> None:
    first = write_csv(tmp_path / "cpt.csv", CPT_ROWS, ["code", "short", "long"])
    codes.import_cpt_csv(first, CptMapping(0, 1, 2))
    with pytest.raises(UserError, match="already imported"):
        codes.import_cpt_csv(first, CptMapping(0, 1, 2))
    changed = [[CPT_ROWS[0][0], "Office visit, new words", CPT_ROWS[0][2]],
               ["99214", "Office visit est moderate", ""]]
    second = write_csv(tmp_path / "cpt2.csv", changed, ["code", "short", "long"])
    result = codes.import_cpt_csv(second, CptMapping(0, 1, 2))
    assert (result.added, result.updated, result.unchanged) == (1, 1, 0)
    d = codes.get("99213")
    assert d is not None and d.short_description == "Office visit, new words"
    assert n_codes(admin) == len(CPT_ROWS) + 1  # nothing deleted


def test_cpt_bad_rows_are_all_named_and_nothing_is_imported(admin: Services,
                                                            codes: ProcedureCodeService,
                                                            tmp_path: Path) -> None:
    rows = [CPT_ROWS[0],
            ["9921", "Too short", ""],                      # line 3
            ["J1100", "A HCPCS code", ""],                  # line 4
            ["99213", "Again", ""],                         # line 5
            ["99215", "", ""],                              # line 6
            ["99212", "x" * 61, ""],                        # line 7
            CPT_ROWS[1]]
    path = write_csv(tmp_path / "cpt.csv", rows, ["CPT Code", "Short", "Long"])
    with pytest.raises(FormatError) as err:
        codes.import_cpt_csv(path, CptMapping(0, 1, 2))
    assert [str(p).split(":")[0] for p in err.value.problems] == [
        "line 3, CPT Code", "line 4, CPT Code", "line 5, CPT Code", "line 6, Long",
        "line 7, Short"]
    message = str(err.value)
    assert message.startswith(f"{path.name}: nothing was imported")
    assert "line 5, CPT Code: 99213 appears again (first on line 2)" in message
    assert n_codes(admin) == 0 and events(admin, "codes.import_cpt") == []


@pytest.mark.parametrize(("mapping", "words"), [
    (CptMapping(0, 0, 2), "same column"),
    (CptMapping(0, 5, None), "does not exist"),
    (CptMapping(0, None, None), "choose the column"),
])
def test_a_wrong_mapping_is_refused(codes: ProcedureCodeService, tmp_path: Path,
                                    mapping: CptMapping, words: str) -> None:
    path = write_csv(tmp_path / "cpt.csv", CPT_ROWS, ["code", "short", "long"])
    with pytest.raises(FormatError, match=words):
        codes.import_cpt_csv(path, mapping)


def test_long_only_mapping_cuts_a_short_description(codes: ProcedureCodeService,
                                                    tmp_path: Path) -> None:
    long = "Office visit for a known patient with a problem of low complexity and a brief exam"
    path = write_csv(tmp_path / "cpt.csv", [["99213", long]])
    codes.import_cpt_csv(path, CptMapping(0, None, 1, has_header=False))
    d = codes.get("99213")
    assert d is not None and d.long_description == long
    assert len(d.short_description) <= 60 and long.startswith(d.short_description.rstrip("…"))


# --- codes by hand ------------------------------------------------------------------------------
def test_add_checks_every_field(codes: ProcedureCodeService) -> None:
    bad = ProcedureData("cpt", "J1100", "", effective_from=TODAY,
                        effective_to=TODAY - timedelta(days=1))
    with pytest.raises(ValidationError) as err:
        codes.add_procedure(bad)
    assert set(err.value.problems) == {"code", "short_description", "effective_to"}
    with pytest.raises(ValidationError) as err:
        codes.add_procedure(ProcedureData("icd", "E119", "Diabetes"))
    assert set(err.value.problems) == {"system"}


def test_add_then_edit_with_locking_and_audit(admin: Services,
                                              codes: ProcedureCodeService) -> None:
    added = codes.add_procedure(ProcedureData("hcpcs", " j1100 ", "Dexamethasone 1 mg",
                                              is_drug=True))
    assert (added.code, added.source, added.version) == ("J1100", "manual", 1)
    with pytest.raises(ValidationError, match="already exists"):
        codes.add_procedure(ProcedureData("hcpcs", "J1100", "Again"))
    edited = codes.edit_procedure(replace(added.data(), short_description="Dexameth 1mg",
                                          effective_to=TODAY))
    assert edited.version == 2 and edited.effective_to == TODAY
    with pytest.raises(ConflictError):
        codes.edit_procedure(replace(added.data(), is_drug=False))  # read before the edit
    with pytest.raises(ValidationError, match="renamed"):
        codes.edit_procedure(replace(edited.data(), code="J1200"))
    assert codes.get("J1100") == edited
    [add_ev] = events(admin, "codes.procedure_add")
    [edit_ev] = events(admin, "codes.procedure_edit")
    assert '"J1100"' in add_ev.details
    assert '"fields": ["effective_to", "short_description"]' in edit_ev.details


def test_codes_are_managed_by_code_set_managers_and_read_by_anyone(admin: Services) -> None:
    ProcedureCodeService(admin.db, admin.ctx).add_procedure(
        ProcedureData("hcpcs", "J1100", "Dexamethasone 1 mg"))
    sign_in_as(admin, "front_desk")
    desk = ProcedureCodeService(admin.db, admin.ctx)
    with pytest.raises(PermissionDenied):
        desk.add_procedure(ProcedureData("hcpcs", "J1200", "Diphenhydramine 50 mg"))
    assert [h.code for h in desk.search("dexa")] == ["J1100"]
    admin.users.sign_out()
    with pytest.raises(NotSignedIn):
        desk.search("dexa")


# --- search -------------------------------------------------------------------------------------
@pytest.fixture
def sample(codes: ProcedureCodeService) -> ProcedureCodeService:
    for d in [
        ProcedureData("hcpcs", "J1100", "Dexamethasone 1 mg", "Injection, dexamethasone sodium "
                      "phosphate, 1 mg", is_drug=True),
        ProcedureData("hcpcs", "J1094", "Inj dexamethasone acetate", "Injection, "
                      "dexamethasone acetate, 1 mg", effective_to=date(2016, 12, 31)),
        ProcedureData("hcpcs", "A4216", "Sterile water/saline, 10 ml", "Sterile water, saline "
                      "and/or dextrose, diluent/flush, 10 ml"),
        ProcedureData("cpt", "99213", "Office visit est low", "Crème brûlée placeholder visit"),
        ProcedureData("cpt", "99214", "Office visit est moderate", "Visit placeholder",
                      effective_from=TODAY + timedelta(days=30)),
    ]:
        codes.add_procedure(d)
    return codes


def test_code_prefix_comes_first_then_words(sample: ProcedureCodeService) -> None:
    assert [h.code for h in sample.search("j1")] == ["J1094", "J1100"]
    assert [h.code for h in sample.search("9921")] == ["99213", "99214"]


def test_words_match_in_any_order_ignoring_case_and_accents(
        sample: ProcedureCodeService) -> None:
    assert [h.code for h in sample.search("PHOSPHATE dexa")] == ["J1100"]
    assert [h.code for h in sample.search("creme brulee")] == ["99213"]
    assert [h.code for h in sample.search("brû CRÈ")] == ["99213"]
    assert [h.code for h in sample.search("saline flush 10")] == ["A4216"]
    assert sample.search("dexa xyz") == [] and sample.search("  ") == []


def test_codes_in_force_come_first_and_on_filters(sample: ProcedureCodeService) -> None:
    hits = sample.search("dexamethasone")
    assert [(h.code, h.in_force) for h in hits] == [("J1100", True), ("J1094", False)]
    assert [h.code for h in sample.search("dexamethasone", on=date(2015, 6, 1))] == [
        "J1094", "J1100"]
    assert [h.code for h in sample.search("dexamethasone", on=TODAY)] == ["J1100"]
    assert [h.code for h in sample.search("visit", on=TODAY)] == ["99213"]


def test_system_filter_and_limit(sample: ProcedureCodeService) -> None:
    assert {h.code for h in sample.search("visit", system="cpt")} == {"99213", "99214"}
    assert sample.search("visit", system="hcpcs") == []
    assert len(sample.search("j", limit=1)) == 1


def test_search_sees_changes_at_once(sample: ProcedureCodeService) -> None:
    assert sample.search("ondansetron") == []
    added = sample.add_procedure(ProcedureData("hcpcs", "J2405", "Ondansetron 1 mg"))
    assert [h.code for h in sample.search("ondansetron")] == ["J2405"]
    sample.edit_procedure(replace(added.data(), short_description="Zofran 1 mg"))
    assert sample.search("ondansetron") == []
    assert [h.code for h in sample.search("zofran")] == ["J2405"]


def test_search_over_8000_codes_finds_every_match(admin: Services,
                                                       codes: ProcedureCodeService) -> None:
    words = ["injection", "supply", "catheter", "wheelchair", "dressing", "sterile", "oral",
             "per", "mg", "each", "adult", "pediatric", "replacement", "battery", "monthly"]
    rows = [{"system": "hcpcs", "code": f"{'ABEGJKLQ'[i % 8]}{i:04d}",
             "short_description": f"{words[i % 15]} {words[(i * 7) % 15]} item {i}",
             "long_description": f"{words[(i * 3) % 15]} {words[(i * 11) % 15]} for code {i}",
             "source": "import", "is_drug": False, "version": 1} for i in range(8000)]
    with admin.db.session() as s:
        s.execute(insert(ProcedureCode), rows)
    assert all(h.code.startswith("J00") for h in codes.search("J00"))
    assert {h.code for h in codes.search("sterile dressing", limit=10_000)} == {
        r["code"] for r in rows
        if {"sterile", "dressing"} <= set(f"{r['short_description']} {r['long_description']}"
                                           .split())}


# --- modifiers ----------------------------------------------------------------------------------
def test_bundled_modifiers_load_on_first_use_once_and_keep_existing(
        admin: Services, codes: ProcedureCodeService) -> None:
    mine = codes.add_modifier(ModifierData("25", "Our clinic's own wording for 25"))
    rows = codes.modifiers()
    by_code = {m.code: m for m in rows}
    assert set(by_code) == {m.code for m in bundled_modifiers()}
    assert by_code["25"] == mine and by_code["LT"].source == "bundled"
    assert codes.ensure_bundled_modifiers() == 0
    assert ProcedureCodeService(admin.db, admin.ctx).modifiers() == rows
    assert len(events(admin, "codes.modifiers_bundled")) == 1


def test_the_bundled_list_is_well_formed() -> None:
    rows = bundled_modifiers()
    assert len({m.code for m in rows}) == len(rows) > 50
    for m in rows:
        assert len(m.code) == 2 and m.code.isalnum() and m.code == m.code.upper()
        assert 0 < len(m.description) <= 250


def test_modifier_edits_are_checked_locked_and_audited(admin: Services,
                                                       codes: ProcedureCodeService) -> None:
    with pytest.raises(ValidationError) as err:
        codes.add_modifier(ModifierData("2", ""))
    assert set(err.value.problems) == {"code", "description"}
    added = codes.add_modifier(ModifierData("ZZ", "Clinic test modifier"))
    assert added.source == "manual"
    with pytest.raises(ValidationError, match="already exists"):
        codes.add_modifier(ModifierData("zz", "Again"))
    edited = codes.edit_modifier(replace(added.data(), description="New words",
                                         effective_to=date(2030, 1, 1)))
    assert edited.version == added.version + 1
    with pytest.raises(ConflictError):
        codes.edit_modifier(replace(added.data(), description="Stale"))
    assert [m.code for m in codes.modifiers(on=date(2031, 1, 1)) if m.code == "ZZ"] == []
    assert '"fields": ["description", "effective_to"]' in events(
        admin, "codes.modifier_edit")[0].details
    with admin.db.session() as s:
        assert s.scalars(select(Modifier.description).where(Modifier.code == "ZZ")).one() == \
            "New words"


def test_unknown_code_gives_none(codes: ProcedureCodeService) -> None:
    assert codes.get("J9999") is None
