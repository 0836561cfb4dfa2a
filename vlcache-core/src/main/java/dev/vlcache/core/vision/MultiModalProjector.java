package dev.vlcache.core.vision;

import ai.djl.ndarray.NDArray;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.nn.Ops;

/** LLaVA's two-layer MLP that maps vision features into the decoder's embedding space. */
public final class MultiModalProjector {

	private final NDArray w1;

	private final @Nullable NDArray b1;

	private final NDArray w2;

	private final @Nullable NDArray b2;

	private final String activation;

	public MultiModalProjector(WeightLoader w, LlavaConfig c) {
		long in = (long) c.vision().hiddenSize() * c.visionFeatureLayers().size();
		long out = c.text().hiddenSize();
		this.w1 = w.load("projector.linear_1.weight", out, in);
		this.w2 = w.load("projector.linear_2.weight", out, out);
		this.b1 = c.projectorBias() ? w.load("projector.linear_1.bias", out) : null;
		this.b2 = c.projectorBias() ? w.load("projector.linear_2.bias", out) : null;
		this.activation = c.projectorHiddenAct();
	}

	/** [images, tokens, vision features] to [images, tokens, text hidden]. */
	public NDArray forward(NDArray features) {
		return Ops.linear(Ops.activation(Ops.linear(features, this.w1, this.b1), this.activation), this.w2, this.b2);
	}

}
