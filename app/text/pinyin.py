"""Pinyin: how a document's fields read, and whether a query is typed in pinyin.

Documents: each Han run of the pinyin fields becomes its toneless syllables (pypinyin, whose phrase
dictionary gives a polyphonic character its word's reading: 重庆 chong qing, 银行 yin hang) at
consecutive positions, plus one `~xy` token per pair of adjacent syllables' initials (北京大学: ~bj ~jd
~dx), so `bjdx` is a phrase of three selective tokens rather than of four letters. Runs are separated
by a position gap: no phrase spans two runs or two fields.

Queries: a query made only of Latin letters (spaces and apostrophes between syllables) is read as
pinyin when every space-separated chunk splits into syllables (`beijing daxue`, `beijingdaxue`,
`xi'an`), else as initials when it is 2+ letters that can start a syllable (`bjdx`). A chunk that
splits more than one way (`xian`: xian or xi an) searches every way (at most MAX_READINGS). The
result is a tsquery over the `pinyin` column; English words that happen to spell pinyin (`bike`: bi
ke) are searched as pinyin too, but the keyword leg ranks pinyin-only matches after every character
match, so they never displace one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.text.tokenizer import Token
from app.text.tsvector import quote_lexeme, tsvector_literal

# Toneless syllables as pypinyin writes them (ü as v), from its character dictionary without the
# interjections m, n, ng, hm, hng (tests/unit/test_pinyin.py derives the set again and compares).
_SYLLABLE_LIST = """
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca cai can
cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan
chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian
diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fiao fo fou
fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao
he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong
jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la
lai lan lang lao le lei len leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv
lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne
nei nen neng ni nia nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve o ou pa pai pan
pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu
qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen
seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si
song sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui
tun tuo wa wai wan wang wei wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan
xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng
zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo
zi zong zou zu zuan zui zun zuo
"""
SYLLABLES = frozenset(_SYLLABLE_LIST.split())
# How people type üe after l and n on a keyboard without ü.
SPELLINGS = {"lue": "lve", "nue": "nve"}
INITIAL_LETTERS = frozenset("bpmfdtnlgkhjqxrzcsywaoe")  # a syllable never starts with i, u or v
INITIALS_MARK = "~"
MAX_READINGS = 8  # ways one query is read (a chunk's splits times the other chunks')
MAX_FIELD_CHARS = 256  # Han characters of each field read into pinyin
MAX_QUERY_LETTERS = 64
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")
_LATIN_QUERY = re.compile(r"[a-z' ]+")
_LONGEST = max(len(s) for s in SYLLABLES | set(SPELLINGS))


@dataclass(frozen=True)
class FieldPinyin:
    """The `pinyin` column's tsvector literal and `pinyin_len`, the number of syllables read."""

    tsvector: str
    length: int


def field_pinyin(texts: Sequence[str]) -> FieldPinyin:
    """Syllables and initials pairs of the fields' Han runs (texts already folded to simplified)."""
    from pypinyin import lazy_pinyin

    tokens: list[Token] = []
    position = 0
    length = 0
    for text in texts:
        read = 0
        for run in HAN_RUN.findall(text):
            run = run[: MAX_FIELD_CHARS - read]
            if not run:
                break
            read += len(run)
            syllables = lazy_pinyin(run)
            for i, syllable in enumerate(syllables):
                tokens.append(Token(syllable, position + i + 1, 0, 0))
                if i + 1 < len(syllables):
                    pair = INITIALS_MARK + syllable[0] + syllables[i + 1][0]
                    tokens.append(Token(pair, position + i + 1, 0, 0))
            position += len(syllables) + 1  # a gap: no phrase spans two runs
            length += len(syllables)
    return FieldPinyin(tsvector_literal(tokens), length)


def pinyin_query(text: str) -> str | None:
    """The tsquery text that finds `text` read as pinyin, or None when it is not pinyin."""
    lowered = text.strip().lower()
    if not lowered or not _LATIN_QUERY.fullmatch(lowered):
        return None
    chunks = [c for c in re.split(r"[\s']+", lowered) if c]
    if not chunks or sum(len(c) for c in chunks) > MAX_QUERY_LETTERS:
        return None
    splits = [splits_of(c) for c in chunks]
    if all(splits):
        readings = itertools.islice(itertools.product(*splits), MAX_READINGS)
        phrases = [[s for chunk in reading for s in chunk] for reading in readings]
        return " | ".join(_phrase(p) for p in phrases)
    if len(chunks) == 1 and is_initials(chunks[0]):
        return _phrase([INITIALS_MARK + a + b for a, b in itertools.pairwise(chunks[0])])
    return None


def is_initials(chunk: str) -> bool:
    """`bjdx`: letters that can start a syllable, at most one of them a vowel and at least two not
    (`hello` and `or` are not)."""
    vowels = sum(chunk.count(v) for v in "aeo")
    return set(chunk) <= INITIAL_LETTERS and vowels <= 1 and len(chunk) - vowels >= 2


@lru_cache(maxsize=4096)
def splits_of(chunk: str) -> tuple[tuple[str, ...], ...]:
    """Every way `chunk` splits into syllables (at most MAX_READINGS): first those that follow the
    apostrophe rule (a syllable starting with a, e or o is not run on: 西安 is xi'an, so `xian` is
    first 先), then the fewest lone a, e, o, then the fewest syllables."""
    found: list[tuple[str, ...]] = []
    for size in range(min(_LONGEST, len(chunk)), 0, -1):
        head = chunk[:size]
        syllable = SPELLINGS.get(head, head)
        if syllable not in SYLLABLES:
            continue
        if size == len(chunk):
            found.append((syllable,))
        else:
            found.extend((syllable, *rest) for rest in splits_of(chunk[size:]))
    return tuple(sorted(found, key=_unconventional)[:MAX_READINGS])


def _unconventional(split: tuple[str, ...]) -> tuple[int, int, int]:
    """Run-on vowel syllables (xi an), then lone ones (gu o, rarer still: 阿 a), then length."""
    inner = split[1:]
    return sum(s[0] in "aeo" for s in inner), sum(s in ("a", "e", "o") for s in inner), len(split)


def _phrase(lexemes: list[str]) -> str:
    inner = " <-> ".join(quote_lexeme(x) for x in lexemes)
    return f"({inner})" if len(lexemes) > 1 else inner
