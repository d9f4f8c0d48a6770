"""A synthetic city for the demo, tests and benchmarks: deterministic for a seed, no Django.

Persons carry valid GB 11643 certnos and Chinese names; institutions span every level; the catalog
uses the national code shapes (drugs X..., services 9/15 digits, consumables C...); fee lines come
from skewed distributions with some restriction breaks and price-limit excesses.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from insurance.validators import certno_check_digit

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强海燕晓东文博子涵欣怡浩然宇轩梓萱雨桐俊杰思远佳琪")
DISTRICTS = ("410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825")
INST_NAMES = {
    3: ("示范市第{}人民医院", "示范市中心医院{}院区"),
    2: ("示范市{}区人民医院", "示范市中医院{}分院"),
    1: ("{}街道社区卫生服务中心", "{}镇卫生院"),
    0: ("{}村卫生室",),
}
PLACES = list("东西南北中新和平安康福寿光明春华秋实青山绿水金桥银湖龙泉凤鸣")
DRUG_NAMES = ("阿莫西林胶囊", "头孢克肟片", "二甲双胍片", "硝苯地平缓释片", "阿托伐他汀钙片", "奥美拉唑肠溶胶囊",
              "布洛芬缓释胶囊", "甲钴胺片", "氯化钠注射液", "葡萄糖注射液", "利妥昔单抗注射液", "胰岛素注射液",
              "黄体酮注射液", "小儿止咳糖浆", "复方丹参滴丸", "银杏叶片")
SERVICE_NAMES = ("普通门诊诊查费", "住院诊查费", "床位费(三人间)", "血常规", "尿常规", "肝功能检测", "心电图",
                 "彩色多普勒超声", "CT平扫", "磁共振扫描", "静脉输液", "换药", "冠状动脉造影术", "阑尾切除术")
CONSUMABLE_NAMES = ("一次性输液器", "医用纱布", "留置针", "冠脉支架", "人工晶体", "骨科钢板")


@dataclass
class City:
    institutions: list[dict] = field(default_factory=list)
    persons: list[dict] = field(default_factory=list)
    catalog: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)


def make_certno(region: str, birth: dt.date, seq: int, gender: str) -> str:
    seq = seq % 499 * 2 + (1 if gender == "1" else 2)  # 17th digit: odd for men, even for women
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + certno_check_digit(first17)


def _money(x: float) -> Decimal:
    return Decimal(str(round(float(x), 2))).quantize(Decimal("0.01"))


def make_institutions(rng, region: str, per_level=(30, 15, 6, 3), pharmacies: int = 6) -> list[dict]:
    out, n = [], 0
    for level, count in zip((0, 1, 2, 3), per_level, strict=True):
        for i in range(count):
            n += 1
            pattern = INST_NAMES[level][i % len(INST_NAMES[level])]
            place = PLACES[i % len(PLACES)] + PLACES[(i * 7 + level) % len(PLACES)]
            out.append({"fixmedins_code": f"H{region}{n:05d}", "name": pattern.format(place if level < 3 else i + 1),
                        "level": level, "kind": "hospital", "designated": not (level == 1 and i == count - 1),
                        "region": region})
    for i in range(pharmacies):
        n += 1
        out.append({"fixmedins_code": f"H{region}{n:05d}", "name": f"{PLACES[i]}康大药房", "level": 0,
                    "kind": "pharmacy", "designated": True, "region": region})
    return out


def make_persons(rng, count: int, year: int) -> list[dict]:
    out = []
    for i in range(count):
        gender = "1" if rng.random() < 0.5 else "2"
        employee = rng.random() < 0.45
        age = int(rng.integers(20, 90)) if employee else int(rng.integers(1, 95))
        birth = dt.date(year - age, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        if employee:
            insutype, psn_type = "310", "retiree" if age >= 60 else "in_service"
        else:
            insutype = "390"
            psn_type = "student_child" if age < 18 else ("elderly" if age >= 60 else "resident_adult")
        category = ""
        if not employee:
            r = rng.random()
            category = "tekun" if r < 0.01 else ("dibao" if r < 0.05 else "")
        arrears = rng.random() < 0.02
        out.append({
            "psn_no": f"P{i + 1:08d}",
            "certno": make_certno(DISTRICTS[i % len(DISTRICTS)], birth, i, gender),
            "name": SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
                GIVEN[int(j)] for j in rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))),
            "gender": gender, "birth_date": birth, "insutype": insutype, "psn_type": psn_type,
            "enrolled_from": dt.date(max(2000, birth.year + 18 if employee else birth.year), 1, 1),
            "enrolled_to": None,
            "paid_through": f"{year}-01" if arrears else f"{year}-12",
            "assistance_category": category,
            "acct_balance": _money(rng.gamma(2.0, 800.0)) if employee else Decimal("0.00"),
        })
    return out


def make_catalog(rng, drugs: int = 160, services: int = 100, consumables: int = 40) -> list[dict]:
    out = []
    atc = ("A01AB", "A02BC", "A10BA", "C08CA", "C10AA", "J01CA", "J01DD", "L01XC", "M01AE", "N02BE", "R05CB", "G03DA")
    for i in range(drugs):
        code = f"X{atc[i % len(atc)]}{'ABCDEFGH'[i % 8]}{i:03d}A{int(rng.integers(10**11, 10**12))}"
        out.append(_item(rng, code, DRUG_NAMES[i % len(DRUG_NAMES)], "drug"))
    for i in range(services):
        code = f"{int(rng.integers(1, 99)):03d}{i:06d}" + ("" if i % 2 else f"{int(rng.integers(0, 10**6)):06d}")
        out.append(_item(rng, code, SERVICE_NAMES[i % len(SERVICE_NAMES)], "service"))
    for i in range(consumables):
        code = f"C{int(rng.integers(10**13, 10**14))}"
        out.append(_item(rng, code, CONSUMABLE_NAMES[i % len(CONSUMABLE_NAMES)], "consumable"))
    return out


def _item(rng, code: str, name: str, list_type: str) -> dict:
    r = rng.random()
    chrg_lv = "01" if r < 0.55 else ("02" if r < 0.9 else "03")
    price = float(np.round(rng.lognormal(3.0, 1.3), 2)) + 0.5
    item = {"med_list_codg": code, "name": name, "list_type": list_type, "chrg_lv": chrg_lv,
            "selfpay_prop": None, "price_limit": None, "restrict_gender": "", "restrict_min_age": None,
            "restrict_max_age": None, "restrict_min_level": None, "restrict_med_types": [], "price": price}
    if chrg_lv == "02" and rng.random() < 0.4:
        item["selfpay_prop"] = Decimal(("0.05", "0.10", "0.20", "0.30")[int(rng.integers(4))])
    if rng.random() < 0.25:
        item["price_limit"] = _money(price * 0.95)
    r = rng.random()
    if r < 0.03:
        item["restrict_gender"] = "2"
    elif r < 0.06:
        item["restrict_max_age"] = 14
    elif r < 0.09:
        item["restrict_min_level"] = 2
    return item


def make_visits(rng, day: dt.date, persons: list[dict], institutions: list[dict], catalog: list[dict],
                outpatient: int, inpatient: int, chronic: int) -> list[dict]:
    hospitals = [i for i in institutions if i["kind"] == "hospital"]
    inpatient_hosp = [i for i in hospitals if i["level"] >= 1]
    out = []
    kinds = ["11"] * outpatient + ["21"] * inpatient + ["14"] * chronic
    for n, med_type in enumerate(kinds):
        person = persons[int(rng.integers(len(persons)))]
        inst = (inpatient_hosp if med_type != "11" else hospitals)[
            int(rng.integers(len(inpatient_hosp if med_type != "11" else hospitals)))]
        if med_type == "21":
            stay = int(min(60, rng.gamma(2.0, 4.0)) + 1)
            begin = dt.datetime.combine(day - dt.timedelta(days=stay), dt.time(int(rng.integers(7, 20))))
            end = dt.datetime.combine(day, dt.time(int(rng.integers(8, 18)), int(rng.integers(0, 60))))
            nlines = int(rng.integers(10, 40))
        else:
            begin = dt.datetime.combine(day, dt.time(int(rng.integers(8, 17)), int(rng.integers(0, 60))))
            end = begin + dt.timedelta(minutes=int(rng.integers(10, 90)))
            nlines = int(rng.integers(1, 7))
        lines = []
        for k in range(nlines):
            item = catalog[int(rng.integers(len(catalog)))]
            cnt = Decimal(int(rng.integers(1, 10 if med_type != "21" else 30)))
            pric = _money(item["price"] * (1.1 if item["price_limit"] is not None and rng.random() < 0.3 else 1.0))
            lines.append({"feedetl_sn": str(k + 1), "med_list_codg": item["med_list_codg"], "cnt": cnt, "pric": pric,
                          "det_item_fee_sumamt": (cnt * pric).quantize(Decimal("0.01")),
                          "fee_ocur_time": begin + (end - begin) * (k / max(1, nlines))})
        if rng.random() < 0.01:
            lines.append({"feedetl_sn": str(nlines + 1), "med_list_codg": f"ZZ-LOCAL-{n:05d}", "cnt": Decimal(1),
                          "pric": Decimal("88.00"), "det_item_fee_sumamt": Decimal("88.00"), "fee_ocur_time": end})
        out.append({"mdtrt_id": f"M{day:%Y%m%d}{n + 1:06d}", "psn_no": person["psn_no"],
                    "fixmedins_code": inst["fixmedins_code"], "med_type": med_type, "begntime": begin,
                    "endtime": end, "lines": lines})
    return out


def make_city(seed: int, day: dt.date, persons: int = 3000, region: str = "410800", outpatient: int = 500,
              inpatient: int = 80, chronic: int = 20) -> City:
    rng = np.random.default_rng(seed)
    city = City()
    city.institutions = make_institutions(rng, region)
    city.persons = make_persons(rng, persons, day.year)
    city.catalog = make_catalog(rng)
    city.visits = make_visits(rng, day, city.persons, city.institutions, city.catalog, outpatient, inpatient, chronic)
    return city
