"""A synthetic city of any size, generated with vectorized numpy: deterministic for a seed.

`reference(spec)` builds the institutions, persons (with their enrollment and personal account) and the
catalog (synth.reference); `day(spec, ref, n)` builds one day's visits, uploads and fee lines (synth.days).
Both return plain pandas frames (no Django), money in integer fen, quantities and prices scaled by 10^4,
times as local wall time (naive datetime64). Foreign keys are 0-based positions into the other frames;
synth.rows turns them into database rows and synth.write.write_city writes them with PostgreSQL COPY
(explicit ids reserved from the sequences), or with bulk_create on other databases (small sizes only).
The package exports the frames' side, which needs no Django; synth.write needs Django set up.

Every random draw comes from a generator seeded by (seed, part, day), so a day is the same whether it is
generated alone or after others, and the same seed always gives the same city.

What is in it:
  * institutions of every level 0-3 (村卫生室 … 三级医院) and retail pharmacies, a few not designated;
    visits go to them by level (a tertiary hospital sees far more patients than a clinic);
  * persons with valid GB 11643 certnos (check digit computed vectorized), Chinese names, both insutypes
    (310 employees, 390 residents), every psn_type, the assistance categories tekun/dibao/dibian, a few
    in contribution arrears or whose enrollment has ended;
  * a catalog in the national code shapes (Western drugs X + 22, Chinese patent drugs Z + 22, services
    15 digits or the 9-digit legacy codes, consumables C + 19 digits) with 甲/乙/丙 shares, own 乙类
    self-pay shares, price limits and restrictions (gender and age only where the item's name makes them
    plausible: vocabulary.FEMALE_WORDS ...; institution level, inpatient only);
  * visits discharged on their day (general outpatient 11, chronic outpatient 14, inpatient 21, purchases
    at pharmacies), lines per visit geometric, lengths of stay gamma, prices lognormal; inpatient stays
    charge a bed fee and a ward-round fee per day; some lines break a restriction, exceed a price limit,
    charge the same item twice at the same time, or charge bed days beyond the stay; a few codes are not
    in the catalog;
  * one upload per institution and day, created on that day.
"""
from devtools.synth.days import Day, day
from devtools.synth.reference import Reference, reference
from devtools.synth.spec import CitySpec

__all__ = ["CitySpec", "Day", "Reference", "day", "reference"]
