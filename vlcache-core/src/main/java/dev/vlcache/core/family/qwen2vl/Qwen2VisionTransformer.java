package dev.vlcache.core.family.qwen2vl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.Qwen2VisionConfig;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.family.VisionEncoder;
import dev.vlcache.core.nn.Ops;

/**
 * Qwen2-VL's vision transformer ({@code Qwen2VisionTransformerPretrainedModel}): a linear patch embedding of the
 * flattened temporal x spatial patches (the Conv3d of stride equal to its kernel), pre-norm blocks whose
 * attention rotates queries and keys by each patch's (row, column) and stays within its image, and the patch
 * merger: LayerNorm, the 2 x 2 patches of a merge block side by side, a two-layer GELU MLP into the decoder's
 * width.
 */
final class Qwen2VisionTransformer implements VisionEncoder {

	private static final double ROPE_THETA = 10000.0;

	private static final double LAYER_NORM_EPS = 1e-6;

	private final Qwen2VisionConfig config;

	private final NDArray patchEmbed;

	private final List<Block> blocks = new ArrayList<>();

	private final NDArray lnQWeight;

	private final NDArray lnQBias;

	private final NDArray mlp0Weight;

	private final NDArray mlp0Bias;

	private final NDArray mlp2Weight;

	private final NDArray mlp2Bias;

	private final DataType dtype;

	/** One block's weights. */
	private record Block(NDArray norm1W, NDArray norm1B, NDArray norm2W, NDArray norm2B, NDArray qkvW, NDArray qkvB,
			NDArray projW, NDArray projB, NDArray fc1W, NDArray fc1B, NDArray fc2W, NDArray fc2B) {
	}

	Qwen2VisionTransformer(WeightLoader w, Qwen2VisionConfig c) {
		this.config = c;
		this.dtype = w.computeType();
		long e = c.embedDim();
		this.patchEmbed = w.load("visual.patch_embed.proj.weight", e, c.inChannels(), c.temporalPatchSize(),
				c.patchSize(), c.patchSize()).reshape(e, c.patchValues());
		long mlp = e * c.mlpRatio();
		for (int i = 0; i < c.depth(); i++) {
			String p = "visual.blocks." + i + ".";
			this.blocks.add(new Block(w.load(p + "norm1.weight", e), w.load(p + "norm1.bias", e),
					w.load(p + "norm2.weight", e), w.load(p + "norm2.bias", e), w.load(p + "attn.qkv.weight", 3 * e, e),
					w.load(p + "attn.qkv.bias", 3 * e), w.load(p + "attn.proj.weight", e, e), w.load(p + "attn.proj.bias", e),
					w.load(p + "mlp.fc1.weight", mlp, e), w.load(p + "mlp.fc1.bias", mlp), w.load(p + "mlp.fc2.weight", e, mlp),
					w.load(p + "mlp.fc2.bias", e)));
		}
		long merged = e * c.spatialMergeSize() * c.spatialMergeSize();
		this.lnQWeight = w.load("visual.merger.ln_q.weight", e);
		this.lnQBias = w.load("visual.merger.ln_q.bias", e);
		this.mlp0Weight = w.load("visual.merger.mlp.0.weight", merged, merged);
		this.mlp0Bias = w.load("visual.merger.mlp.0.bias", merged);
		this.mlp2Weight = w.load("visual.merger.mlp.2.weight", c.hiddenSize(), merged);
		this.mlp2Bias = w.load("visual.merger.mlp.2.bias", c.hiddenSize());
	}

	@Override
	public NDArray encode(NDManager scope, List<PreparedImage> images) {
		int per = this.config.patchValues();
		int total = images.stream().mapToInt(i -> ((PatchedImage) i).patches()).sum();
		NDArray pixels = scope.create(PreparedImage.concatenatedPixels(images), new Shape(total, per));
		if (this.dtype != DataType.FLOAT32) {
			pixels = pixels.toType(this.dtype, false);
		}
		NDArray x = Ops.linear(pixels, this.patchEmbed, null);
		NDArray[] cosSin = rotary(scope, images, total);
		int[] bounds = new int[images.size() + 1];
		for (int i = 0; i < images.size(); i++) {
			bounds[i + 1] = bounds[i] + ((PatchedImage) images.get(i)).patches();
		}
		for (Block b : this.blocks) {
			// Each block's intermediates are freed before the next.
			try (NDManager blockScope = scope.newSubManager()) {
				x.attach(blockScope);
				NDArray h = Ops.layerNorm(x, b.norm1W(), b.norm1B(), LAYER_NORM_EPS);
				x = x.add(attention(h, b, cosSin, bounds));
				h = Ops.layerNorm(x, b.norm2W(), b.norm2B(), LAYER_NORM_EPS);
				x = x.add(Ops.linear(Ops.activation(Ops.linear(h, b.fc1W(), b.fc1B()), this.config.hiddenAct()), b.fc2W(),
						b.fc2B()));
				x.attach(scope);
			}
		}
		int m2 = this.config.spatialMergeSize() * this.config.spatialMergeSize();
		NDArray merged = Ops.layerNorm(x, this.lnQWeight, this.lnQBias, LAYER_NORM_EPS)
			.reshape(total / m2, (long) this.config.embedDim() * m2);
		return Ops.linear(Ops.activation(Ops.linear(merged, this.mlp0Weight, this.mlp0Bias), "gelu"), this.mlp2Weight,
				this.mlp2Bias);
	}

	/** Attention within each image ({@code bounds}), rotated by the patches' grid positions. */
	private NDArray attention(NDArray h, Block b, NDArray[] cosSin, int[] bounds) {
		long n = h.getShape().get(0);
		int heads = this.config.numHeads();
		long hd = this.config.headDim();
		NDArray qkv = Ops.linear(h, b.qkvW(), b.qkvB()).reshape(n, 3, heads, hd);
		NDArray q = rotate(qkv.get(new NDIndex(":, 0")), cosSin);
		NDArray k = rotate(qkv.get(new NDIndex(":, 1")), cosSin);
		NDArray v = qkv.get(new NDIndex(":, 2"));
		NDList outputs = new NDList();
		double scale = 1.0 / Math.sqrt(hd);
		for (int i = 0; i + 1 < bounds.length; i++) {
			NDIndex rows = new NDIndex("{}:{}", bounds[i], bounds[i + 1]);
			NDArray qi = q.get(rows).transpose(1, 0, 2);
			NDArray ki = k.get(rows).transpose(1, 2, 0);
			NDArray vi = v.get(rows).transpose(1, 0, 2);
			NDArray probs = qi.matMul(ki).mul(scale).softmax(-1);
			outputs.add(probs.matMul(vi).transpose(1, 0, 2).reshape(bounds[i + 1] - bounds[i], (long) heads * hd));
		}
		NDArray o = outputs.size() == 1 ? outputs.get(0) : NDArrays.concat(outputs, 0);
		return Ops.linear(o, b.projW(), b.projB());
	}

	/** {@code x}: [n, heads, head dim], rotated with {@code rotate_half} by [n, 1, head dim] tables. */
	private static NDArray rotate(NDArray x, NDArray[] cosSin) {
		long half = x.getShape().get(2) / 2;
		NDArray x1 = x.get(new NDIndex(":, :, :{}", half));
		NDArray x2 = x.get(new NDIndex(":, :, {}:", half));
		NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
		return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
	}

	/**
	 * cos and sin [n, 1, head dim] of every patch: the first quarter of the head's frequencies turn with the
	 * patch's row, the second with its column, and the second half repeats the first ({@code VisionRotaryEmbedding}
	 * over head dim / 2, theta 10000).
	 */
	private NDArray[] rotary(NDManager scope, List<PreparedImage> images, int total) {
		int hd = this.config.headDim();
		int quarter = hd / 4;
		double[] invFreq = new double[quarter];
		for (int i = 0; i < quarter; i++) {
			invFreq[i] = 1.0 / Math.pow(ROPE_THETA, (2.0 * i) / (hd / 2));
		}
		float[] cos = new float[total * hd];
		float[] sin = new float[total * hd];
		int m = this.config.spatialMergeSize();
		int row = 0;
		for (PreparedImage image : images) {
			PatchedImage p = (PatchedImage) image;
			for (int t = 0; t < p.t(); t++) {
				for (int bh = 0; bh < p.h() / m; bh++) {
					for (int bw = 0; bw < p.w() / m; bw++) {
						for (int mh = 0; mh < m; mh++) {
							for (int mw = 0; mw < m; mw++) {
								int[] coords = { bh * m + mh, bw * m + mw };
								for (int axis = 0; axis < 2; axis++) {
									for (int i = 0; i < quarter; i++) {
										// Angles in float32, as torch computes the frequency table.
										float angle = (float) coords[axis] * (float) invFreq[i];
										int k = axis * quarter + i;
										for (int halfIndex = 0; halfIndex < 2; halfIndex++) {
											int o = row * hd + halfIndex * (hd / 2) + k;
											cos[o] = (float) Math.cos(angle);
											sin[o] = (float) Math.sin(angle);
										}
									}
								}
								row++;
							}
						}
					}
				}
			}
		}
		NDArray c = scope.create(cos, new Shape(total, 1, hd));
		NDArray s = scope.create(sin, new Shape(total, 1, hd));
		if (this.dtype != DataType.FLOAT32) {
			c = c.toType(this.dtype, false);
			s = s.toType(this.dtype, false);
		}
		return new NDArray[] { c, s };
	}

}
