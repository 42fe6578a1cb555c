#!/usr/bin/env python3
"""Deterministic attendees for bench/search.sh: Chinese, English and Japanese names,
unique emails, a few thousand companies. Prints a registration-import CSV for one
event: rows k0..k1 of that event, each a contact drawn from a pool of P people
(the same person attends several events; never twice the same event).

usage: people.py EVENT_INDEX K0 K1 POOL
"""
import sys

ZH_SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
               "彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 "
               "石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 "
               "万 钱 严 覃 武 戴 莫 孔 向 汤 欧阳 司马").split()
ZH_PINYIN = ("wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng "
             "liang xie song tang xu han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai yu "
             "du ye cheng su wei lv ding ren shen yao lu jiang cui zhong tan lu wang fan jin shi liao jia "
             "xia wei fu fang bai zou meng xiong qin qiu jiang yin xue yan duan lei hou long shi tao li "
             "he gu mao hao gong shao wan qian yan qin wu dai mo kong xiang tang ouyang sima").split()
ZH_GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 华 建华 国强 志强 "
            "海燕 晓明 伟华 红 建国 文 斌 宇 浩 鹏 婷 雪 琳 晨 思远 子涵 一鸣 雨桐 欣怡 浩然 梓轩").split()
EN_FIRST = ("James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
            "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony "
            "Margaret Mark Sandra Paul Ashley Steven Emily Andrew Donna Kenneth Michelle").split()
EN_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
           "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis "
           "Robinson Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter").split()
JA_SURNAMES = [("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
               ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
               ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
               ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue")]
JA_GIVEN = "太郎 花子 健 翔 大輔 陽子 直樹 美咲 拓也 由美 さくら 誠 恵子 浩二 ゆい はると".split()
DOMAINS = ["example.cn", "example.com", "example.jp", "mail.example.org", "corp.example.net"]

CITIES = "宁波 舟山 福州 上海 杭州 苏州 南京 深圳 广州 天津 青岛 厦门 大连 成都 武汉".split()
WORDS = "华信 永荣 锦江 恒逸 荣盛 东方 海天 中化 金发 新和 巨化 万华 卫星 三友 龙盛".split()
TRADES = "新材料 化工 聚酰胺 膜材料 石化 能源 科技 精细化工 高分子 装备".split()
JA_CO = "東レ 三井化学 住友化学 旭化成 帝人 クラレ 信越化学 三菱ケミカル 日東電工 宇部興産".split()
EN_CO = ("Apex Polymers", "Blue Harbor Chemicals", "Northwind Materials", "Orion Membranes",
         "Summit Petrochem", "Vertex Nylon", "Granite Capital", "Silverline Resins")


def company(i):
    kind = i % 10
    if kind < 6:
        return f"{CITIES[i % len(CITIES)]}{WORDS[(i // 15) % len(WORDS)]}{TRADES[(i // 7) % len(TRADES)]}有限公司{i}"
    if kind < 8:
        return f"{JA_CO[i % len(JA_CO)]}株式会社 {i}"
    return f"{EN_CO[i % len(EN_CO)]} {i} Ltd"


def person(c):
    kind = c % 10
    domain = DOMAINS[c % len(DOMAINS)]
    if kind < 5:
        s = (c * 7) % len(ZH_SURNAMES)
        # Common surnames come up more often, as they do.
        if c % 3 == 0:
            s = c % 5
        name = ZH_SURNAMES[s] + ZH_GIVEN[(c // 11) % len(ZH_GIVEN)]
        email = f"{ZH_PINYIN[s]}.{c}@{domain}"
    elif kind < 8:
        first, last = EN_FIRST[(c // 3) % len(EN_FIRST)], EN_LAST[(c // 7) % len(EN_LAST)]
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.lower()}{c}@{domain}"
    else:
        sur, romaji = JA_SURNAMES[(c // 3) % len(JA_SURNAMES)]
        name = sur + JA_GIVEN[(c // 13) % len(JA_GIVEN)]
        email = f"{romaji}{c}@{domain}"
    return name, email, company(c % 3000)


def main():
    e, k0, k1, pool = map(int, sys.argv[1:5])
    out = ["name,email,company"]
    for k in range(k0, k1):
        c = (k + e * 1511) % pool
        name, email, co = person(c)
        out.append(f"{name},{email},{co}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
