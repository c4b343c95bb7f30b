#!/usr/bin/python3
"""Build the tokenizer's own small CLIP-layout test vocabulary (deterministic).

Layout as CLIP's: ids 0..255 are the 256 byte characters in bytes_to_unicode order (id 0 = "!"),
256..511 the same with "</w>", then one id per learned merge, then "<|startoftext|>" and
"<|endoftext|>" last. Merges are learned by plain BPE (most frequent adjacent pair, ties broken
by the pair's text) over the pieces of an embedded corpus, pre-tokenized exactly as CLIP does.
Written in the diffusers layout: vocab.json, merges.txt ("#version: 0.2" header),
special_tokens_map.json (SD 1.x style: pad "<|endoftext|>", object form), tokenizer_config.json.

Usage: python3 make_test_vocab.py OUT_DIR [--merges 300]
"""
import argparse
import collections
import json
import os

from clip_reference import SPLIT_PATTERN, basic_clean, bytes_to_unicode, whitespace_clean

CORPUS = """
a photo of a cat sitting on a wooden table, high quality, detailed, 4k
a painting of a dog in the style of van gogh, oil on canvas, trending on artstation
portrait of a woman with red hair, studio lighting, sharp focus, photorealistic
a cat and a dog playing in the garden, sunny day, flowers, green grass
a photo of an astronaut riding a horse on the moon, cinematic lighting
the city at night, neon lights, rain, reflections, cyberpunk, highly detailed
a bowl of fruit on the kitchen table, still life, soft light, painting
a mountain landscape with a lake and pine trees, sunrise, fog, photography
a cute kitten with blue eyes, close-up photo, bokeh background
it's a beautiful day; we're going to the beach, they've seen the sea, I'm happy, don't stop
an old man reading a book by the fireplace, warm light, cozy interior
a red sports car driving on a coastal road, motion blur, photo
a watercolor painting of a bird on a branch, spring, cherry blossoms
a castle on a hill, fantasy art, dramatic sky, matte painting, concept art
a cup of coffee and a croissant at a café in paris, morning light
naïve art of a village, über detailed, 東京 street at night, 東京 tower, 猫 cat 🐱
the cat is sleeping on the sofa; the dog is watching the cat; the bird is singing
photo of a robot in the desert, sand dunes, sunset, science fiction, 3d render
a bear in the forest, a fox in the snow, a wolf on the rocks, an owl in the tree
people walking in the street, rainy weather, umbrellas, black and white photography
"""


def learn_merges(words, count, vocab):
    # words: {tuple(symbols): frequency}
    merges = []
    while len(merges) < count:
        pairs = collections.Counter()
        for word, freq in words.items():
            for i in range(len(word) - 1):
                pairs[(word[i], word[i + 1])] += freq
        candidates = [(-n, p) for p, n in pairs.items() if p[0] + p[1] not in vocab]
        if not candidates:
            break
        _, best = min(candidates)
        merged = best[0] + best[1]
        merges.append(best)
        vocab[merged] = len(vocab)
        new_words = {}
        for word, freq in words.items():
            out = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_words[tuple(out)] = new_words.get(tuple(out), 0) + freq
        words = new_words
    return merges


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--merges", type=int, default=300)
    args = ap.parse_args()

    table, ordered = bytes_to_unicode()
    vocab = {}
    for b in ordered:
        vocab[table[b]] = len(vocab)
    for b in ordered:
        vocab[table[b] + "</w>"] = len(vocab)

    words = collections.Counter()
    for line in CORPUS.strip().split("\n"):
        text = whitespace_clean(basic_clean(line)).lower()
        for piece in SPLIT_PATTERN.findall(text):
            chars = "".join(table[b] for b in piece.encode("utf-8"))
            words[tuple(chars[:-1]) + (chars[-1] + "</w>",)] += 1

    merges = learn_merges(dict(words), args.merges, vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)

    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(args.out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")

    def special(content):
        return {"content": content, "lstrip": False, "normalized": True, "rstrip": False,
                "single_word": False}

    with open(os.path.join(args.out_dir, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": special("<|startoftext|>"), "eos_token": special("<|endoftext|>"),
                   "pad_token": "<|endoftext|>", "unk_token": special("<|endoftext|>")}, f, indent=2)
    with open(os.path.join(args.out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77,
                   "do_lower_case": True, "errors": "replace",
                   "bos_token": special("<|startoftext|>"), "eos_token": special("<|endoftext|>"),
                   "unk_token": special("<|endoftext|>")}, f, indent=2)
    print(f"{len(vocab)} ids, {len(merges)} merges -> {args.out_dir}")


if __name__ == "__main__":
    main()
