#!/usr/bin/python3
"""Independent reference for ReNoise's ClipTokenizer: the OpenAI CLIP simple_tokenizer algorithm.

Written from the algorithm's description (bytes_to_unicode, get_pairs, greedy lowest-rank BPE
with a "</w>" end-of-word marker, whitespace clean-up, lower-casing, the CLIP split pattern),
deliberately sharing nothing with the C# code, so that the C# tests compare two implementations.

ftfy is not available here; its relevant part for prompts (NFC normalization) is done with
unicodedata, then HTML entities are unescaped twice as simple_tokenizer's basic_clean does.

Usage:
  python3 clip_reference.py --tokenizer-dir DIR --out FILE.json [--max-length 77] [--prompts LIST.json]
writes {"tokenizer": DIR-name, "max_length": N, "bos_id", "eos_id", "pad_id",
        "cases": [{"prompt", "ids", "token_count", "truncated"}]} for the built-in PROMPTS
(or for the JSON list of strings in LIST.json).
"""
import argparse
import html
import json
import os
import re
import sys
import unicodedata

import regex

# Prompts the C# tests replay. Keep the required categories: digits, contractions, punctuation,
# non-ASCII, odd whitespace, upper case, empty, HTML entities, special-token text, over-long.
PROMPTS = [
    "a photo of a cat",
    "4 cats in 2024",
    "it's, we're, I'll, you'd, they've, I'm, don't",
    "hello!!! ... (a) [b] {c}",
    "café naïve 東京 🐱 über",
    "  a   photo\tof \n a  cat  ",
    "A PHOTO Of A Dog, By Greg RUTKOWSKI",
    "",
    "   ",
    "cafe\u0301 (decomposed accent)",
    "fish &amp; chips &lt;3 &quot;yum&quot; &#39;ok&#39; &#x263A; &amp;amp;",
    "no-break\u00a0space, ideographic\u3000space, unit\x1fseparator",
    "a <|endoftext|> b <|startoftext|>c",
    "''s !!'s 'S rock'n'roll O'NEIL'S",
    "ΟΔΟΣ ΚΑΙ Σ, İstanbul",
    "x\u00b2 \u00bd \u0663\u0664 \U0001d7cf 𝐀𝐁 a\U00020000b",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "a cat and a dog and a bird and a fish and a horse and a cow and a sheep and a pig "
    "and a goat and a duck and a mouse and a rabbit and a frog and a snake and a lizard "
    "and a turtle and a whale and a shark and a crab and a bee and an ant and a fly and "
    "a moth and a bat and an owl and a fox and a wolf and a bear",
    # 9 + 33 * 2 = 75 prompt tokens: exactly fits; the "a" after it makes 76: truncated.
    " ".join(str(n) for n in range(1, 43)),
    " ".join(str(n) for n in range(1, 43)) + " a",
    "it'ſ 'LL &#x130;",
]

SPLIT_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def bytes_to_unicode():
    """GPT-2/CLIP table: printable Latin-1 bytes map to themselves, the rest to 256+n."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    # Order matters for the vocabulary layout: kept bytes first, in byte order, then the rest.
    ordered = [b for b in keep] + [b for b in range(256) if b not in keep]
    return table, ordered


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


def basic_clean(text):
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    return re.sub(r"\s+", " ", text).strip()


class Reference:
    def __init__(self, tokenizer_dir):
        with open(os.path.join(tokenizer_dir, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        merges = []
        with open(os.path.join(tokenizer_dir, "merges.txt"), encoding="utf-8") as f:
            for line in f.read().split("\n"):
                if not line or line.startswith("#version"):
                    continue
                a, b = line.split(" ")
                merges.append((a, b))
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder, _ = bytes_to_unicode()
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}

        specials = {}
        for name in ("tokenizer_config.json", "special_tokens_map.json"):  # later file wins
            path = os.path.join(tokenizer_dir, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    cfg = json.load(f)
                for key in ("bos_token", "eos_token", "pad_token"):
                    v = cfg.get(key)
                    if isinstance(v, dict):
                        v = v.get("content")
                    if isinstance(v, str):
                        specials[key] = v
                if name == "tokenizer_config.json":
                    self.config_max_length = cfg.get("model_max_length")
        self.bos_id = self.encoder[specials.get("bos_token", "<|startoftext|>")]
        self.eos_id = self.encoder[specials.get("eos_token", "<|endoftext|>")]
        self.pad_id = self.encoder[specials.get("pad_token", specials.get("eos_token", "<|endoftext|>"))]

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if bigram not in self.ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text):
        text = whitespace_clean(basic_clean(text)).lower()
        ids = []
        for piece in SPLIT_PATTERN.findall(text):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(piece).split(" "))
        return ids

    def encode_padded(self, text, max_length):
        tokens = self.encode(text)
        kept = tokens[: max_length - 2]
        ids = [self.bos_id] + kept + [self.eos_id]
        ids += [self.pad_id] * (max_length - len(ids))
        return {"prompt": text, "ids": ids, "token_count": len(tokens),
                "truncated": len(tokens) > len(kept)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-length", type=int, default=77)
    ap.add_argument("--prompts", help="JSON list of prompts to use instead of the built-in ones")
    args = ap.parse_args()
    ref = Reference(args.tokenizer_dir)
    prompts = PROMPTS
    if args.prompts:
        with open(args.prompts, encoding="utf-8") as f:
            prompts = json.load(f)
    cases = [ref.encode_padded(p, args.max_length) for p in prompts]
    doc = {"tokenizer": os.path.basename(os.path.normpath(args.tokenizer_dir)),
           "max_length": args.max_length, "bos_id": ref.bos_id, "eos_id": ref.eos_id,
           "pad_id": ref.pad_id, "cases": cases}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
