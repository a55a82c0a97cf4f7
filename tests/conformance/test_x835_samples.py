"""Public 835 samples written by other projects (../shared/x12/835/, see its SOURCES.md), read
with app.formats.x12.x835: the sound ones parse and balance (BPR02 = the claims' CLP04 less the
PLB amounts; each claim and service line against its CAS), with figures checked by hand
against the files; the broken ones are refused with an X12Error naming the segment at fault.

Which are broken was decided per file by reading it (pyx12 agrees on each):
- albmarin's errors/error_validation.edi is a negative test: SE01, SE02, GE01, GE02, IEA01 and
  IEA02 are all wrong.
- Four of the LinuxForHealth files were hand-edited from the TR3 examples: cob-contractural-
  adjustment and secondary-payment join SVC01's parts with '>' while ISA16 declares ':' (so
  SVC01 has no procedure code), tertiary-payment writes SVC*HC*24599.00 (the code pushed into
  SVC02), managed-care has the impossible BPR16 date 20002316. Mended in memory (the separator,
  the date) they read and balance, which shows nothing else in them is amiss.

Assertions are on codes and amounts only, so no patient data from the samples reaches the test
output. Skipped when the shared folder is absent (a fresh clone elsewhere).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.formats.x12.segments import X12Error
from app.formats.x12.x835 import Remittance, read_835
from tests.conformance.samples import read, refused, samples

D = Decimal
# Refused: (segment number, segment ID, words in the message) for every problem expected.
BROKEN: dict[str, list[tuple[int, str, str]]] = {
    "albmarin_badX12__errors__error_validation.edi": [
        (29, "SE", "SE01 gives 30 segments; there are 27."),
        (29, "SE", "SE02 does not match"), (30, "GE", "GE01 gives 2 transactions"),
        (30, "GE", "GE02 does not match"), (31, "IEA", "IEA01 gives 2 functional groups"),
        (31, "IEA", "IEA02 does not match")],
    "LinuxForHealth_x12__cob-contractural-adjustment.835": [
        (21, "SVC", "SVC01 must be a composite")],
    "LinuxForHealth_x12__secondary-payment.835": [
        (29, "SVC", "SVC01 must be a composite"), (34, "SVC", "SVC01 must be a composite")],
    "LinuxForHealth_x12__tertiary-payment.835": [
        (20, "SVC", "SVC01 must be a composite"), (20, "SVC", "SVC06, the procedure as submitted")],
    "LinuxForHealth_x12__managed-care.835": [
        (4, "BPR", "BPR16, the check issue or EFT effective date, is not a valid date")],
}
# The same four LinuxForHealth files with their one fault mended in memory.
MENDS: dict[str, list[tuple[bytes, bytes]]] = {
    "LinuxForHealth_x12__cob-contractural-adjustment.835": [(b"HC>", b"HC:")],
    "LinuxForHealth_x12__secondary-payment.835": [(b"HC>", b"HC:"), (b">26", b":26")],
    "LinuxForHealth_x12__tertiary-payment.835": [(b"SVC*HC*24599.00", b"SVC*HC:24599")],
    "LinuxForHealth_x12__managed-care.835": [(b"*20002316", b"*20020316")],
}
# Figures checked by hand: BPR02, claims, service lines, sum of CLP03, sum of CLP04, sum of
# PLB amounts, payer ID (by the REF*2U / N1 XV / TRN03 rule), BPR16, CLP02 of each claim.
Figures = tuple[Decimal, int, int, Decimal, Decimal, Decimal, str, date | None, list[str]]
SOUND: dict[str, Figures] = {
    "albmarin_badX12__X221-multiple-claims-single-check.edi": (
        D("810.8"), 9, 33, D("2819"), D("810.8"), D(0), "512345678", date(2014, 3, 31),
        ["1"] * 9),
    "albmarin_badX12__X221-era-sample.edi": (
        D(132), 1, 5, D(226), D(132), D(0), "512345678", date(2014, 3, 31), ["1"]),
    "albmarin_badX12__X221-dollars-and-data-sent-separate.edi": (
        D(945), 2, 2, D(2000), D(945), D(0), "935665544", date(2002, 3, 16), ["1", "1"]),
    "albmarin_badX12__X221-dollars-and-data-sent-together.edi": (
        D(150000), 2, 0, D("226366.97"), D("149998.73"), D("-1.27"), "999", date(2002, 9, 13),
        ["1", "1"]),
    "LinuxForHealth_x12__medicare-part-a.835": (
        D(150000), 2, 0, D("226366.97"), D("149998.73"), D("-1.27"), "999", date(2002, 9, 13),
        ["1", "1"]),
    "albmarin_badX12__X221-secondary-payment-with-higher-fee-schedule.edi": (
        D(34), 1, 1, D(541), D(34), D(0), "566339911", date(2005, 3, 18), ["2"]),
    "albmarin_badX12__X221-secondary-payments.edi": (
        D(1222), 2, 2, D("11075.14"), D(1222), D(0), "559123456", date(2005, 4, 12),
        ["2", "2"]),
    "albmarin_badX12__X221-tertiary-payments.edi": (
        D("187.5"), 1, 1, D("1766.5"), D("187.5"), D(0), "559123456", date(2005, 4, 12), ["3"]),
    "azoner_pyx12__835_mult_loops.txt": (
        D(0), 1, 3, D("915.39"), D(0), D(0), "386000134", date(2004, 10, 28), ["4"]),
}


def figures(r: Remittance) -> Figures:
    return (r.total_paid, len(r.claims), sum(len(c.services) for c in r.claims),
            sum((c.charge for c in r.claims), D(0)), r.claims_paid, r.provider_adjusted,
            r.payer_id, r.paid_on, [c.status for c in r.claims])


@pytest.mark.parametrize("name", samples("835") or ["(absent)"])
def test_835_samples(name: str) -> None:
    data = read("835", name)
    if name in BROKEN:
        with pytest.raises(X12Error) as caught:
            read_835(data, name)
        found = [(p.segment_no, p.segment_id, p.message) for p in caught.value.problems]
        for n, seg_id, words in BROKEN[name]:
            assert any(f[:2] == (n, seg_id) and words in f[2] for f in found), (n, seg_id)
        assert len(found) == len(BROKEN[name])
        assert refused(read_835, data, name)  # every problem names the file and a segment
        return
    try:
        remittances = read_835(data, name)
    except X12Error as e:
        assert name not in SOUND, "a sound sample was refused"
        assert all(p.segment_id for p in e.problems)
        return  # a sample added later may be broken; being refused cleanly is enough
    for r in remittances:
        assert r.balance_problems() == [], "the sample's totals do not reconcile"
    if name in SOUND:
        (r,) = remittances
        assert figures(r) == SOUND[name]


def _sample(name: str) -> bytes:
    if name not in samples("835"):
        pytest.skip("../shared/x12/835 is not here")
    return read("835", name)


@pytest.mark.parametrize("name", sorted(MENDS))
def test_the_broken_linuxforhealth_samples_read_and_balance_once_mended(name: str) -> None:
    data = _sample(name)
    for old, new in MENDS[name]:
        assert old in data
        data = data.replace(old, new)
    (r,) = read_835(data, name)
    assert r.balance_problems() == []
    assert r.claims_paid - r.provider_adjusted == r.total_paid


def test_the_multiple_claims_check_in_detail() -> None:
    name = "albmarin_badX12__X221-multiple-claims-single-check.edi"
    (r,) = read_835(_sample(name), name)
    assert (r.handling, r.method, r.trace_number, r.payer_phone, r.payee_tax_id) == (
        "I", "CHK", "12345", "9005555555", "999994703")
    assert [c.paid for c in r.claims] == [D(132), D(74), D(108), D(14), D("16.8"), D(132),
                                          D(108), D(82), D(144)]
    assert sum((c.patient_responsibility or D(0) for c in r.claims), D(0)) == D("970.2")
    assert sum((c.adjusted for c in r.claims), D(0)) == D("2008.2")  # 2819 - 810.8
    fourth = r.claims[3]
    assert [(s.qualifier, s.code, s.charge, s.paid, s.patient_responsibility)
            for s in fourth.services] == [("AD", "D0220", D(25), D(14), D(0)),
                                          ("AD", "D2790", D(940), D(0), D(756)),
                                          ("AD", "D2950", D(180), D(0), D(146))]
    assert fourth.services[1].adjustments[1].group == "CO"
    assert r.claims[1].insured_member_id != ""  # the one claim with an NM1*IL


def test_the_medicare_part_a_sample_in_detail() -> None:
    name = "LinuxForHealth_x12__medicare-part-a.835"
    (r,) = read_835(_sample(name), name)
    assert (r.handling, r.method, r.payee_npi, r.production_date) == (
        "C", "ACH", "6543210903", date(2002, 9, 16))
    (plb,) = r.provider_adjustments
    assert (plb.provider_id, plb.fiscal_period_end, plb.reason, plb.reference, plb.amount) == (
        "6543210903", date(2002, 12, 31), "CV", "CP", D("-1.27"))
    first, second = r.claims
    assert (first.filing_indicator, first.facility_code, first.frequency,
            first.adjustments[0].group, first.adjustments[0].reason,
            first.adjustments[0].amount) == ("MA", "11", "1", "CO", "45", D("73348.57"))
    assert (second.remarks, second.filing_indicator) == (("MA02",), "MB")


def test_the_denied_pyx12_sample_in_detail() -> None:
    name = "azoner_pyx12__835_mult_loops.txt"
    (r,) = read_835(_sample(name), name)
    assert (r.handling, r.method) == ("H", "NON")
    (claim,) = r.claims
    assert (claim.is_denied, claim.processed_as) == (True, "")
    assert [(s.code, s.units_paid, s.remarks, [(a.group, a.reason, a.amount)
                                               for a in s.adjustments])
            for s in claim.services] == [
        ("T1005", D(68), ("N14",), [("CO", "16", D("500.04"))]),
        ("T1005", D(16), ("N14",), [("OA", "A7", D("127.8"))]),
        ("T1005", D(36), ("N14",), [("OA", "A7", D("287.55"))])]
    assert claim.services[0].dos_from == date(2003, 11, 29) == claim.services[0].dos_to
