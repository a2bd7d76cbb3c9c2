"""Build a tiny random-weight model with bge-m3's architecture, loadable by BGEM3FlagModel by path.

bge-m3 is an XLM-RoBERTa encoder plus `sparse_linear.pt` and `colbert_linear.pt` heads; the real
weights cannot be downloaded on the build machine, so tests exercise the real loading code on this.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

SAMPLE_TEXT = [
    "混合检索结合关键词与语义向量。",
    "Hybrid search fuses BM25 and dense vectors with reciprocal rank fusion.",
    "北京是中国的首都,上海是最大的城市。",
    "The quick brown fox jumps over the lazy dog 0123456789.",
]


def build_tiny_bge_m3(path: Path, hidden: int = 32, seed: int = 0) -> Path:
    """Write tokenizer, config, random weights and the two bge-m3 heads into `path`."""
    torch.manual_seed(seed)
    path.mkdir(parents=True, exist_ok=True)
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=300, special_tokens=special, unk_token="<unk>")
    tok.train_from_iterator(SAMPLE_TEXT * 20, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok, model_max_length=512)
    fast.save_pretrained(str(path))
    config = XLMRobertaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=514,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(str(path))
    torch.save(torch.nn.Linear(hidden, hidden).state_dict(), path / "colbert_linear.pt")
    torch.save(torch.nn.Linear(hidden, 1).state_dict(), path / "sparse_linear.pt")
    return path
