package dev.vlcache.core.config;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The decoder's configuration, with every field resolved (Hugging Face defaults of its {@code model_type} filled
 * in).
 *
 * @param family llama, mistral or qwen2
 * @param vocabSize vocabulary size
 * @param hiddenSize model width
 * @param intermediateSize MLP width
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention when fewer than query heads)
 * @param headDim width of one head
 * @param hiddenAct MLP activation
 * @param maxPositionEmbeddings context length
 * @param rmsNormEps RMSNorm epsilon
 * @param ropeTheta rotary base
 * @param ropeScaling rotary scaling, or {@code null} for none
 * @param attentionBias whether q/k/v projections have biases (always for Qwen2)
 * @param outputBias whether the attention output projection has a bias
 * @param mlpBias whether MLP projections have biases
 * @param tieWordEmbeddings whether the LM head reuses the token embeddings
 * @param slidingWindow sliding attention window, or {@code null} when attention is global
 * @param mropeSection multimodal rotary sections (temporal, height, width frequencies; Qwen2-VL's
 * {@code rope_scaling.mrope_section}), or empty for one position stream
 */
public record TextConfig(DecoderFamily family, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
		int numHeads, int numKvHeads, int headDim, String hiddenAct, int maxPositionEmbeddings, double rmsNormEps,
		double ropeTheta, @Nullable RopeScaling ropeScaling, boolean attentionBias, boolean outputBias,
		boolean mlpBias, boolean tieWordEmbeddings, @Nullable Integer slidingWindow, List<Integer> mropeSection) {

	public TextConfig {
		mropeSection = List.copyOf(mropeSection);
	}

	/** Decoder architectures this engine implements. */
	public enum DecoderFamily {

		LLAMA, MISTRAL, QWEN2

	}

	/**
	 * Rotary embedding scaling ({@code rope_scaling}): {@code linear} or {@code llama3}.
	 *
	 * @param type scaling type
	 * @param factor scaling factor
	 * @param lowFreqFactor llama3 low-frequency factor
	 * @param highFreqFactor llama3 high-frequency factor
	 * @param originalMaxPositions llama3 original context length
	 */
	public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
			int originalMaxPositions) {
	}

	/** Key/value heads per query head group. */
	public int groupSize() {
		return this.numHeads / this.numKvHeads;
	}

}
