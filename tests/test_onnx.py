"""The ONNX Runtime backend: same results as eager PyTorch, int8 as an opt-in, exports cached once."""

import logging

import numpy as np
import pytest
import torch
from conftest import tone

from sentiment.runtime import onnx as onnx_runtime
from sentiment.text.encoder import TextEncoder
from sentiment.transcribers.ctc import CTCTranscriber



def waves():
    return [tone(s, f, seed=i) for i, (s, f) in enumerate([(1.0, 200), (2.5, 300), (7.3, 150), (0.6, 500)])]


def logits_of(ctc: CTCTranscriber, wave_list) -> list[torch.Tensor]:
    out = []
    ctc.frame_ids(wave_list, lambda x, mask: out.append(ctc.logits(x, mask)) or out[-1])
    return out


@pytest.mark.parametrize("model", ["tiny_ctc", "tiny_ctc_layer"])
def test_onnx_transcriber_equals_torch(model, request):
    """Group-norm (no mask) and layer-norm (attention mask, padded batches) models alike."""
    path = str(request.getfixturevalue(model))
    fast = CTCTranscriber(path, chunk_seconds=2.0, stride_seconds=0.4, batch_size=3)
    eager = CTCTranscriber(path, chunk_seconds=2.0, stride_seconds=0.4, batch_size=3, backend="torch")
    assert (fast.runtime.backend, eager.runtime.backend) == ("onnx", "torch") and fast.model is None
    for a, b in zip(logits_of(fast, waves()), logits_of(eager, waves())):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    for a, b in zip(fast.frame_ids(waves(), fast.logits), eager.frame_ids(waves(), eager.logits)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pooling,layers", [("mean", (-1,)), ("mean", (-2, -1)), ("cls", (-1,)), ("pooler", (-1,))])
def test_onnx_text_encoder_equals_torch(tiny_bert, pooling, layers):
    texts = ["a good day", "", "this one is a much longer text than the others, with padding after the rest"]
    fast = TextEncoder(str(tiny_bert), pooling=pooling, layers=layers)
    eager = TextEncoder(str(tiny_bert), pooling=pooling, layers=layers, backend="torch")
    assert fast.runtime.backend == "onnx"
    torch.testing.assert_close(fast.encode(texts), eager.encode(texts), atol=1e-5, rtol=1e-4)
    # A text encoded alone (no padding) gives the same features as inside a padded batch.
    torch.testing.assert_close(fast.encode(texts[:1])[0], fast.encode(texts)[0], atol=1e-5, rtol=1e-4)


def test_int8_quantises_the_matrix_products_and_stays_close(tiny_ctc):
    import onnx

    fp32 = CTCTranscriber(str(tiny_ctc))
    int8 = CTCTranscriber(str(tiny_ctc), precision="int8")
    ops = {node.op_type for node in onnx.load(str(int8.onnx.path)).graph.node}
    assert "DynamicQuantizeMatMul" in ops or "MatMulInteger" in ops
    assert int8.onnx.path != fp32.onnx.path
    a, b = logits_of(fp32, waves()[2:3])[0], logits_of(int8, waves()[2:3])[0]
    assert not torch.equal(a, b)  # really a different computation
    assert torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1] > 0.95


def test_export_is_cached_and_a_warm_start_loads_no_torch_weights(tiny_ctc, tmp_path, monkeypatch, caplog):
    import shutil

    import transformers

    monkeypatch.setenv("SENTIMENT_CACHE", str(tmp_path / "cache"))
    exports = lambda: sum("Preparing" in r.message for r in caplog.records)
    with caplog.at_level(logging.WARNING, logger="sentiment.runtime.onnx"):
        first = CTCTranscriber(str(tiny_ctc))
        assert exports() == 1 and first.onnx.path.parent == tmp_path / "cache" / "onnx"

        def no_weights(*args, **kwargs):
            raise AssertionError("a warm start loaded the torch weights")
        with monkeypatch.context() as m:
            m.setattr(transformers.AutoModelForCTC, "from_pretrained", no_weights)
            second = CTCTranscriber(str(tiny_ctc))
        assert exports() == 1 and second.onnx.path == first.onnx.path

        # New weights in the same folder: a new export, never the stale one.
        copy = tmp_path / "model"
        shutil.copytree(tiny_ctc, copy)
        before = CTCTranscriber(str(copy))
        model = CTCTranscriber(str(copy), backend="torch").model
        with torch.no_grad():
            model.lm_head.weight[0, 0] += 1.0
        model.save_pretrained(copy)
        after = CTCTranscriber(str(copy))
        assert exports() == 3 and after.onnx.path != before.onnx.path


def test_weights_sample_changes_with_the_weights(tiny_ctc):
    model = CTCTranscriber(str(tiny_ctc), backend="torch").model
    before = onnx_runtime.weights_sample(model)
    with torch.no_grad():
        model.lm_head.weight[0, 0] += 1.0
    assert onnx_runtime.weights_sample(model) != before
    assert onnx_runtime.cache_key("a", "fp32") != onnx_runtime.cache_key("a", "int8")


def test_backend_choice_and_clear_errors(monkeypatch):
    from sentiment.runtime.plan import plan
    monkeypatch.setattr("sentiment.runtime.plan.gpu_count", lambda: 1)  # planned as with a GPU; none is used
    assert plan("encoder", device="cpu").backend == "onnx"
    assert plan("encoder", device="cuda", bf16=False).backend == "torch"
    with pytest.raises(ValueError, match="int8 runs on ONNX Runtime"):
        plan("encoder", device="cpu", backend="torch", precision="int8")
    with pytest.raises(ValueError, match="runs here on the CPU"):
        plan("wav2vec2", device="cuda", backend="onnx", precision="fp32")
    with pytest.raises(ValueError, match="Unknown precision"):
        plan("encoder", device="cpu", precision="fp8")
    assert plan("encoder", device="cuda", precision="bf16").backend == "torch"
    assert plan("encoder", device="cpu", precision="fp16").backend == "torch"  # GPU precisions run on PyTorch anywhere
    with pytest.raises(ValueError, match="bf16 runs on PyTorch"):
        plan("encoder", device="cpu", backend="onnx", precision="bf16")
    with pytest.raises(ValueError, match="Unknown backend"):
        plan("encoder", device="cpu", backend="tensorrt")
