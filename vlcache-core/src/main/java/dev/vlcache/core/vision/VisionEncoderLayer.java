package dev.vlcache.core.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.VisionConfig;
import dev.vlcache.core.nn.Ops;

/** One pre-norm transformer block of a CLIP or SigLIP encoder (bidirectional attention, biased projections). */
final class VisionEncoderLayer {

	private final VisionConfig config;

	private final NDArray ln1Weight;

	private final NDArray ln1Bias;

	private final NDArray ln2Weight;

	private final NDArray ln2Bias;

	private final NDArray qWeight;

	private final NDArray qBias;

	private final NDArray kWeight;

	private final NDArray kBias;

	private final NDArray vWeight;

	private final NDArray vBias;

	private final NDArray outWeight;

	private final NDArray outBias;

	private final NDArray fc1Weight;

	private final NDArray fc1Bias;

	private final NDArray fc2Weight;

	private final NDArray fc2Bias;

	VisionEncoderLayer(WeightLoader w, VisionConfig c, int index) {
		this.config = c;
		String p = "vision.encoder.layers." + index + ".";
		long d = c.hiddenSize();
		long f = c.intermediateSize();
		this.ln1Weight = w.load(p + "layer_norm1.weight", d);
		this.ln1Bias = w.load(p + "layer_norm1.bias", d);
		this.ln2Weight = w.load(p + "layer_norm2.weight", d);
		this.ln2Bias = w.load(p + "layer_norm2.bias", d);
		this.qWeight = w.load(p + "self_attn.q_proj.weight", d, d);
		this.qBias = w.load(p + "self_attn.q_proj.bias", d);
		this.kWeight = w.load(p + "self_attn.k_proj.weight", d, d);
		this.kBias = w.load(p + "self_attn.k_proj.bias", d);
		this.vWeight = w.load(p + "self_attn.v_proj.weight", d, d);
		this.vBias = w.load(p + "self_attn.v_proj.bias", d);
		this.outWeight = w.load(p + "self_attn.out_proj.weight", d, d);
		this.outBias = w.load(p + "self_attn.out_proj.bias", d);
		this.fc1Weight = w.load(p + "mlp.fc1.weight", f, d);
		this.fc1Bias = w.load(p + "mlp.fc1.bias", f);
		this.fc2Weight = w.load(p + "mlp.fc2.weight", d, f);
		this.fc2Bias = w.load(p + "mlp.fc2.bias", d);
	}

	/** {@code x}: [images, positions, hidden]. */
	NDArray forward(NDArray x) {
		NDArray h = Ops.layerNorm(x, this.ln1Weight, this.ln1Bias, this.config.layerNormEps());
		x = x.add(attention(h));
		h = Ops.layerNorm(x, this.ln2Weight, this.ln2Bias, this.config.layerNormEps());
		NDArray mlp = Ops.linear(Ops.activation(Ops.linear(h, this.fc1Weight, this.fc1Bias), this.config.hiddenAct()),
				this.fc2Weight, this.fc2Bias);
		return x.add(mlp);
	}

	private NDArray attention(NDArray h) {
		long b = h.getShape().get(0);
		long s = h.getShape().get(1);
		int heads = this.config.numHeads();
		long hd = this.config.hiddenSize() / heads;
		Shape split = new Shape(b, s, heads, hd);
		NDArray q = Ops.linear(h, this.qWeight, this.qBias).reshape(split).transpose(0, 2, 1, 3);
		NDArray k = Ops.linear(h, this.kWeight, this.kBias).reshape(split).transpose(0, 2, 3, 1);
		NDArray v = Ops.linear(h, this.vWeight, this.vBias).reshape(split).transpose(0, 2, 1, 3);
		NDArray probs = q.matMul(k).mul(1.0 / Math.sqrt(hd)).softmax(-1);
		NDArray o = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, s, this.config.hiddenSize());
		return Ops.linear(o, this.outWeight, this.outBias);
	}

}
