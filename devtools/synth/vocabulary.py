"""The synthetic city's words: names, places, item names and codes, diagnoses (devtools.synth draws from
them). Data only: changing it changes every generated city (bench/support.py digests this file with the
generator)."""
import numpy as np

SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
                         "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
                         "莫孔向汤") + ["欧阳", "司马", "诸葛", "上官"])
GIVEN = np.array(list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏辉建国志海晓东文博子涵欣怡浩然"
                      "宇轩梓萱雨桐俊思远佳琪嘉慧淑珍德福荣亮成春梅"))
# home districts of the persons: mostly the city's own, some from elsewhere in the country
LOCAL_DISTRICTS = ("410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825", "410882",
                   "410883")
OTHER_DISTRICTS = ("110105", "310104", "440305", "510107", "420106", "330106", "370102", "410105")
PLACES = np.array(list("东西南北中新和平安康福寿光明春华秋实青山绿水金桥银湖龙泉凤鸣兴隆永丰太平长乐"))

# named items the demo's smart-audit starter library looks for (policy_rules.engine.audit.DEMO_ITEMS)
# (name, list_type, chrg_lv, price in fen, restriction); the inpatient fees are limited to med_type 21
NAMED_ITEMS = (
    ("普通门诊诊查费", "service", "01", 1_000, None),
    ("住院诊查费", "service", "01", 2_000, "inpatient"),
    ("床位费(三人间)", "service", "01", 3_500, "inpatient"),
    ("静脉输液", "service", "01", 800, None),
    ("换药", "service", "01", 1_500, None),
    ("阑尾切除术", "service", "01", 120_000, "level2"),
    ("心电图", "service", "01", 2_500, None),
    ("冠状动脉造影术", "service", "02", 350_000, "level2"),
    ("血常规", "service", "01", 2_000, None),
    ("CT平扫", "service", "02", 18_000, None),
    ("阿莫西林胶囊", "drug", "01", 1_250, None),
    ("头孢克肟片", "drug", "02", 3_860, None),
    ("二甲双胍片", "drug", "01", 980, None),
    ("硝苯地平缓释片", "drug", "01", 2_150, None),
    ("阿托伐他汀钙片", "drug", "02", 4_320, None),
    ("胰岛素注射液", "drug", "02", 6_800, None),
    ("利妥昔单抗注射液", "drug", "02", 198_000, "level2"),
    ("黄体酮注射液", "drug", "01", 1_660, "female"),
    ("小儿止咳糖浆", "drug", "02", 2_380, "child"),
    ("复方丹参滴丸", "drug", "02", 3_050, None),
    ("银杏叶片", "drug", "03", 4_600, None),
)
DRUG_STEMS = np.array(["阿莫西林", "头孢呋辛", "左氧氟沙星", "阿奇霉素", "二甲双胍", "格列美脲", "阿卡波糖", "硝苯地平",
                       "氨氯地平", "缬沙坦", "阿托伐他汀", "瑞舒伐他汀", "奥美拉唑", "雷贝拉唑", "布洛芬", "对乙酰氨基酚",
                       "甲钴胺", "氯吡格雷", "阿司匹林", "美托洛尔", "氯化钠", "葡萄糖", "头孢曲松", "利伐沙班",
                       "胰岛素", "地塞米松", "泮托拉唑", "氨溴索", "孟鲁司特", "坦索罗辛", "地屈孕酮", "戊酸雌二醇",
                       "小儿氨酚黄那敏", "非那雄胺"])
DRUG_FORMS = np.array(["片", "胶囊", "缓释片", "肠溶片", "注射液", "颗粒", "口服溶液", "分散片"])
TCM_STEMS = np.array(["复方丹参", "银杏叶", "连花清瘟", "板蓝根", "六味地黄", "血塞通", "藿香正气", "蒲地蓝消炎",
                      "丹红", "舒血宁"])
TCM_FORMS = np.array(["滴丸", "片", "胶囊", "颗粒", "注射液", "口服液"])
SERVICE_NAMES = np.array(["肝功能检测", "肾功能检测", "尿常规", "血糖测定", "彩色多普勒超声", "磁共振扫描", "胸部X线摄影",
                          "肌肉注射", "雾化吸入", "吸氧", "清创缝合术", "导尿", "康复评定", "针灸", "推拿", "血液透析",
                          "胃镜检查", "肠镜检查", "麻醉", "护理费(一级)", "产前检查", "宫颈细胞学检查",
                          "前列腺特异性抗原测定", "新生儿护理", "儿童保健体检"])
# Restrictions a catalog item plausibly has, by words of its name (devtools.synth.reference): women only
# (gynaecology, obstetrics, female hormones), men only (prostate), children only (paediatric items, up to
# 14), adults only (quinolones, from 18). Items without such words are never restricted by gender or age.
FEMALE_WORDS = ("黄体酮", "孕酮", "雌二醇", "产前", "宫颈", "阴道", "乳腺")
MALE_WORDS = ("前列腺", "坦索罗辛", "非那雄胺")
CHILD_WORDS = ("小儿", "儿童", "新生儿")
ADULT_WORDS = ("左氧氟沙星",)
CONSUMABLE_NAMES = np.array(["一次性输液器", "医用纱布", "留置针", "冠脉支架", "人工晶体", "骨科钢板", "导尿管",
                             "吻合器", "胰岛素笔针头", "敷贴"])
ATC = np.array(["A02BC", "A10BA", "A10BB", "A10AB", "C08CA", "C09CA", "C10AA", "J01CA", "J01DC", "J01DD", "J01MA",
                "J01FA", "M01AE", "N02BE", "B01AC", "B01AF", "C07AB", "R05CB", "R03DC", "H02AB", "G04CA", "L01XC"])
DIAGNOSES_OUTPATIENT = np.array(['["J06.900"]', '["I10.x00"]', '["E11.900"]', '["K29.700"]', '["M54.500"]',
                                 '["J20.900"]', '["R51.x00"]', '["N39.000"]'])
DIAGNOSES_INPATIENT = np.array(['["K35.800"]', '["I21.900"]', '["J18.900"]', '["I63.900"]', '["S72.000"]',
                                '["C83.300"]', '["O80.000"]', '["I25.100"]', '["N20.000"]', '["E11.900"]'])
