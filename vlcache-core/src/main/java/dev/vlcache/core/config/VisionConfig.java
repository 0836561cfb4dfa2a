package dev.vlcache.core.config;

/**
 * The vision tower's configuration, defaults resolved.
 *
 * @param family CLIP or SigLIP
 * @param hiddenSize width
 * @param intermediateSize MLP width
 * @param numLayers encoder layers
 * @param numHeads attention heads
 * @param numChannels input channels
 * @param imageSize input resolution (square)
 * @param patchSize patch size
 * @param hiddenAct MLP activation
 * @param layerNormEps LayerNorm epsilon
 */
public record VisionConfig(VisionFamily family, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
		int numChannels, int imageSize, int patchSize, String hiddenAct, double layerNormEps) {

	/** Vision tower architectures this engine implements. */
	public enum VisionFamily {

		/** CLIP: class token, pre-LayerNorm, quick_gelu by default. */
		CLIP,
		/** SigLIP: no class token, no pre-LayerNorm, gelu (tanh) by default. */
		SIGLIP

	}

	public int patchesPerSide() {
		return this.imageSize / this.patchSize;
	}

	public int numPatches() {
		return patchesPerSide() * patchesPerSide();
	}

	/** Positions the encoder sees: patches plus the class token for CLIP. */
	public int numPositions() {
		return numPatches() + (this.family == VisionFamily.CLIP ? 1 : 0);
	}

}
