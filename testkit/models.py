"""Models with random weights, for the tests and the benchmarks: tiny ones (fast), and the real
architectures built from their config and tokenizer files (speed does not depend on the weights' values).
Nothing here is used by the product itself, and it is not in the wheel."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

CTC_CHARS = list("ETAONIHSRDLUMWCFGYPBVK'XJQZ")


def make_tiny_ctc(folder: Path, norm: str = "group") -> Path:
    from transformers import (Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor,
                              Wav2Vec2ForCTC)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: i + 5 for i, c in enumerate(CTC_CHARS)}}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    Wav2Vec2CTCTokenizer(str(folder / "vocab.json")).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(return_attention_mask=(norm == "layer")).save_pretrained(folder)
    torch.manual_seed(0)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=37, conv_dim=(16,) * 7, num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=2, feat_extract_norm=norm,
                            do_stable_layer_norm=(norm == "layer"))
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    return folder


def make_tiny_bert(folder: Path) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizer
    folder.mkdir(parents=True, exist_ok=True)
    words = "i love hate this it is was good bad great awful fine okay the a movie day not very".split()
    letters = [c for c in "abcdefghijklmnopqrstuvwxyz'0123456789"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *letters, *("##" + c for c in letters)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=37)).save_pretrained(folder)
    return folder


def make_full_size(src: Path, folder: Path, cls_name: str) -> Path:
    """The real architecture and tokenizer files, random weights, saved like a Hub snapshot."""
    import transformers
    folder.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        shutil.copyfile(f, folder / f.name)
    torch.manual_seed(0)
    getattr(transformers, cls_name)(transformers.AutoConfig.from_pretrained(src)).save_pretrained(folder)
    return folder
