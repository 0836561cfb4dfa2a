package dev.vlcache.core.tokenizer;

import dev.vlcache.core.text.RotaryPositions;

/**
 * A prompt ready for prefill.
 *
 * @param renderedPrompt the chat template's output, one image placeholder per image
 * @param ids token ids with every image placeholder expanded to that image's token count
 * @param layout which positions are image tokens
 * @param images number of images
 * @param positions the rotary positions of the prompt and of the tokens decoded after it
 */
public record EncodedPrompt(String renderedPrompt, long[] ids, PromptLayout layout, int images,
		RotaryPositions positions) {

	/** A prompt whose rotary positions are its sequence indices. */
	public EncodedPrompt(String renderedPrompt, long[] ids, PromptLayout layout, int images) {
		this(renderedPrompt, ids, layout, images, RotaryPositions.SEQUENTIAL);
	}

	public int length() {
		return this.ids.length;
	}

	/** This prompt with other rotary positions. */
	public EncodedPrompt withPositions(RotaryPositions rotary) {
		return new EncodedPrompt(this.renderedPrompt, this.ids, this.layout, this.images, rotary);
	}

}
