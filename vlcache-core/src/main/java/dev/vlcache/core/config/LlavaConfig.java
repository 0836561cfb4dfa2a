package dev.vlcache.core.config;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A LLaVA checkpoint's {@code config.json}, every field resolved.
 *
 * @param text decoder configuration
 * @param vision vision tower configuration
 * @param imageTokenId id of the image placeholder token
 * @param projectorHiddenAct activation between the projector's two layers
 * @param visionFeatureLayers hidden-state indices taken from the vision tower (negative counts from the end),
 * concatenated when more than one
 * @param selectStrategy {@code default} (drop the first position) or {@code full}
 * @param projectorBias whether the projector's linear layers have biases
 * @param eosTokenIds end-of-sequence ids declared by the config files
 * @param bosTokenId beginning-of-sequence id, when declared
 */
public record LlavaConfig(TextConfig text, VisionConfig vision, int imageTokenId, String projectorHiddenAct,
		List<Integer> visionFeatureLayers, String selectStrategy, boolean projectorBias, List<Integer> eosTokenIds,
		@Nullable Integer bosTokenId) {

	/** Image tokens one image expands to in the prompt. */
	public int imageTokensPerImage() {
		return this.vision.numPositions() - ("default".equals(this.selectStrategy) ? 1 : 0);
	}

	/** Index into the vision tower's hidden states (0 = embeddings) for a possibly negative layer number. */
	public int resolveFeatureLayer(int layer) {
		int states = this.vision.numLayers() + 1;
		return layer < 0 ? states + layer : layer;
	}

}
