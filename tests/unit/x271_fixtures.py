"""Hand-written 271 files for the service, CLI and window tests: `wrap` puts subscriber loops
inside a correct envelope (counts right unless told), `subscriber` makes one 2000C loop that
echoes our trace number, `ACTIVE` is a typical active plan's EB lines."""

from __future__ import annotations


def wrap(*subscribers: list[str], el: str = "*", seg: str = "~", rep: str = "^",
         se_count: int | None = None, breaks: str = "") -> str:
    """A 271 around the given subscriber loops, with its counts right (unless told)."""
    body = ["BHT*0022*11*000000042*20261128*0931", "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH*****PI*ACME1", "HL*2*1*21*1",
            "NM1*1P*2*MAPLE GROVE*****XX*1234567893"]
    for loop in subscribers:
        body += loop
    count = se_count if se_count is not None else len(body) + 2
    isa = (f"ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*991234567      *261128*0931*"
           f"{rep}*00501*000000099*0*P*:")
    lines = [isa, "GS*HB*CLEARINGHOUSE*991234567*20261128*0931*9*X*005010X279A1",
             "ST*271*0001*005010X279A1", *body, f"SE*{count}*0001", "GE*1*9", "IEA*1*000000099"]
    text = (seg + breaks).join(x.replace("*", el) for x in lines) + seg
    return text.replace("^", rep) if rep != "^" else text


def subscriber(hl: int, trace: str, *, last: str = "ONEIL", member: str = "W123",
               extra: tuple[str, ...] = ()) -> list[str]:
    return [f"HL*{hl}*2*22*0", f"TRN*2*{trace}*991234567", f"NM1*IL*1*{last}*ZOE****MI*{member}",
            "N3*12 ELM ST", "N4*BROOKHAVEN*NY*117191234", "DMG*D8*19800304*F", *extra]


ACTIVE = ("DTP*346*D8*20260101", "EB*1*IND*30^98**GOLD PLAN",
          "EB*C*IND*30***23*1500", "EB*C*IND*30***29*1200", "EB*C*FAM*30***23*3000",
          "EB*G*IND*30***23*5000", "EB*G*IND*30***29*4200",
          "EB*B*IND*98***27*25*****Y", "MSG*PRIMARY CARE OFFICE VISIT",
          "EB*A*IND*30*****.2****Y", "EB*A*IND*30*****.4****N",
          "LS*2120", "NM1*P3*1*WELBY*MARCUS****XX*1234567893", "LE*2120")
