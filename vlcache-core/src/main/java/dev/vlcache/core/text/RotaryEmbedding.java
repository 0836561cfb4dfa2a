package dev.vlcache.core.text;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.vlcache.core.config.TextConfig;
import dev.vlcache.core.config.TextConfig.RopeScaling;

/**
 * Rotary position embedding as Llama, Mistral and Qwen2 apply it ({@code rotate_half} convention), with
 * {@code linear} and {@code llama3} frequency scaling, and Qwen2-VL's multimodal variant: with an
 * {@code mrope_section} of (t, h, w), the first t frequencies turn with the temporal position, the next h with
 * the height position and the last w with the width position (in both halves of the head).
 */
public final class RotaryEmbedding {

	private final double[] invFreq;

	private final int headDim;

	private final double positionScale;

	/** The position stream each frequency follows: all 0 without multimodal sections. */
	private final int[] streamOf;

	public RotaryEmbedding(TextConfig config) {
		this.headDim = config.headDim();
		int half = this.headDim / 2;
		this.invFreq = new double[half];
		for (int i = 0; i < half; i++) {
			this.invFreq[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / this.headDim);
		}
		RopeScaling scaling = config.ropeScaling();
		double scale = 1.0;
		if (scaling != null && scaling.type().equals("linear")) {
			scale = 1.0 / scaling.factor();
		}
		else if (scaling != null && scaling.type().equals("llama3")) {
			applyLlama3(scaling);
		}
		this.positionScale = scale;
		this.streamOf = new int[half];
		int frequency = 0;
		List<Integer> sections = config.mropeSection();
		for (int stream = 0; stream < sections.size(); stream++) {
			for (int k = 0; k < sections.get(stream); k++) {
				this.streamOf[frequency++] = stream;
			}
		}
	}

	private void applyLlama3(RopeScaling s) {
		double lowFreqWavelen = s.originalMaxPositions() / s.lowFreqFactor();
		double highFreqWavelen = s.originalMaxPositions() / s.highFreqFactor();
		for (int i = 0; i < this.invFreq.length; i++) {
			double freq = this.invFreq[i];
			double wavelen = 2 * Math.PI / freq;
			if (wavelen > lowFreqWavelen) {
				this.invFreq[i] = freq / s.factor();
			}
			else if (wavelen >= highFreqWavelen) {
				double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
						/ (s.highFreqFactor() - s.lowFreqFactor());
				this.invFreq[i] = (1 - smooth) * freq / s.factor() + smooth * freq;
			}
		}
	}

	/** cos and sin tables for positions {@code start .. start+count-1}: two [count, head dim] arrays. */
	public NDArray[] cosSin(NDManager manager, int start, int count, DataType dtype) {
		return cosSin(manager, RotaryPositions.SEQUENTIAL, start, count, dtype);
	}

	/**
	 * cos and sin tables for sequence indices {@code start .. start+count-1}, rotated by {@code positions}: two
	 * [count, head dim] arrays.
	 */
	public NDArray[] cosSin(NDManager manager, RotaryPositions positions, int start, int count, DataType dtype) {
		float[] cos = new float[count * this.headDim];
		float[] sin = new float[count * this.headDim];
		for (int t = 0; t < count; t++) {
			fill(cos, sin, t, positions, start + t);
		}
		return tables(manager, cos, sin, new Shape(count, this.headDim), dtype);
	}

	/**
	 * cos and sin tables of one decoding step of several sequences, row {@code b} for sequence index
	 * {@code indices[b]} rotated by {@code positions.get(b)}: two [sequences, 1, head dim] arrays, which broadcast
	 * over the heads of [sequences, heads, head dim].
	 */
	public NDArray[] cosSin(NDManager manager, List<RotaryPositions> positions, int[] indices, DataType dtype) {
		int b = indices.length;
		float[] cos = new float[b * this.headDim];
		float[] sin = new float[b * this.headDim];
		for (int row = 0; row < b; row++) {
			fill(cos, sin, row, positions.get(row), indices[row]);
		}
		return tables(manager, cos, sin, new Shape(b, 1, this.headDim), dtype);
	}

	private void fill(float[] cos, float[] sin, int row, RotaryPositions positions, int index) {
		int half = this.invFreq.length;
		int base = row * this.headDim;
		for (int i = 0; i < half; i++) {
			double angle = positions.position(this.streamOf[i], index) * this.positionScale * this.invFreq[i];
			float c = (float) Math.cos(angle);
			float s = (float) Math.sin(angle);
			cos[base + i] = c;
			cos[base + half + i] = c;
			sin[base + i] = s;
			sin[base + half + i] = s;
		}
	}

	private static NDArray[] tables(NDManager manager, float[] cos, float[] sin, Shape shape, DataType dtype) {
		NDArray c = manager.create(cos, shape);
		NDArray s = manager.create(sin, shape);
		if (dtype != DataType.FLOAT32) {
			c = c.toType(dtype, false);
			s = s.toType(dtype, false);
		}
		return new NDArray[] { c, s };
	}

	/**
	 * Rotates {@code x} [heads, T, head dim] by the tables of its T positions ([T, head dim]), or {@code x}
	 * [sequences, heads, head dim] by one step's tables ([sequences, 1, head dim]).
	 */
	public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
		long half = x.getShape().get(2) / 2;
		NDArray x1 = x.get(new NDIndex(":, :, :{}", half));
		NDArray x2 = x.get(new NDIndex(":, :, {}:", half));
		NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
		return x.mul(cos).add(rotated.mul(sin));
	}

}
