package dev.vlcache.core.vision;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.config.VisionConfig;
import dev.vlcache.core.config.VisionConfig.VisionFamily;

/**
 * The CLIP or SigLIP vision model of a LLaVA checkpoint, returning the hidden states that
 * {@code vision_feature_layer} and {@code vision_feature_select_strategy} select.
 *
 * <p>
 * Only the encoder layers up to the deepest selected one are loaded and run: with the usual
 * {@code vision_feature_layer = -2}, the last layer and the post-LayerNorm never influence the output.
 */
public final class VisionTower {

	private final VisionConfig config;

	private final List<Integer> featureStates;

	private final boolean dropFirst;

	private final NDArray patchWeight;

	private final @Nullable NDArray patchBias;

	private final @Nullable NDArray classEmbedding;

	private final NDArray positionEmbedding;

	private final @Nullable NDArray preLnWeight;

	private final @Nullable NDArray preLnBias;

	private final List<VisionEncoderLayer> layers = new ArrayList<>();

	public VisionTower(WeightLoader w, LlavaConfig llava) {
		this.config = llava.vision();
		VisionConfig c = this.config;
		this.featureStates = llava.visionFeatureLayers().stream().map(llava::resolveFeatureLayer).toList();
		this.dropFirst = "default".equals(llava.selectStrategy());
		long d = c.hiddenSize();
		long p = c.patchSize();
		this.patchWeight = w.load("vision.embeddings.patch_embedding.weight", d, c.numChannels(), p, p);
		this.positionEmbedding = w.load("vision.embeddings.position_embedding.weight", c.numPositions(), d);
		if (c.family() == VisionFamily.CLIP) {
			this.patchBias = null;
			this.classEmbedding = w.load("vision.embeddings.class_embedding", d);
			// HF's CLIP names it "pre_layrnorm" (sic).
			this.preLnWeight = w.load("vision.pre_layrnorm.weight", d);
			this.preLnBias = w.load("vision.pre_layrnorm.bias", d);
		}
		else {
			this.patchBias = w.load("vision.embeddings.patch_embedding.bias", d);
			this.classEmbedding = null;
			this.preLnWeight = null;
			this.preLnBias = null;
		}
		int deepest = this.featureStates.stream().mapToInt(Integer::intValue).max().orElse(c.numLayers());
		for (int i = 0; i < deepest; i++) {
			this.layers.add(new VisionEncoderLayer(w, c, i));
		}
	}

	/** A view of the selected positions that outlives {@code state}'s own handle. */
	private NDArray select(NDArray state) {
		return state.get(new NDIndex(this.dropFirst ? ":, 1:, :" : ":, 0:, :"));
	}

	public VisionConfig config() {
		return this.config;
	}

	/**
	 * Encodes preprocessed images.
	 * @param pixels [images, channels, size, size] in the compute dtype
	 * @return [images, image tokens, hidden x selected layers]
	 */
	public NDArray forward(NDArray pixels) {
		long images = pixels.getShape().get(0);
		long d = this.config.hiddenSize();
		long g = this.config.patchesPerSide();
		long p = this.config.patchSize();
		NDArray patches = Conv2d.conv2d(pixels, this.patchWeight, this.patchBias, new Shape(p, p), new Shape(0, 0),
				new Shape(1, 1))
			.singletonOrThrow()
			.reshape(images, d, g * g)
			.transpose(0, 2, 1);
		NDArray x;
		if (this.classEmbedding != null) {
			NDArray cls = pixels.getManager().zeros(new Shape(images, 1, d), pixels.getDataType())
				.add(this.classEmbedding);
			x = NDArrays.concat(new NDList(cls, patches), 1);
		}
		else {
			x = patches;
		}
		x = x.add(this.positionEmbedding);
		if (this.preLnWeight != null && this.preLnBias != null) {
			x = dev.vlcache.core.nn.Ops.layerNorm(x, this.preLnWeight, this.preLnBias, this.config.layerNormEps());
		}
		NDManager scope = pixels.getManager();
		Map<Integer, NDArray> kept = new HashMap<>();
		if (this.featureStates.contains(0)) {
			kept.put(0, select(x));
		}
		for (int i = 0; i < this.layers.size(); i++) {
			// Free each layer's intermediates (attention is [images, heads, positions, positions]) before the next.
			try (NDManager layerScope = scope.newSubManager()) {
				x.attach(layerScope);
				x = this.layers.get(i).forward(x);
				x.attach(scope);
			}
			if (this.featureStates.contains(i + 1)) {
				kept.put(i + 1, select(x));
			}
		}
		NDList selected = new NDList();
		for (int index : this.featureStates) {
			selected.add(kept.get(index));
		}
		return selected.size() == 1 ? selected.get(0) : NDArrays.concat(selected, -1);
	}

}
