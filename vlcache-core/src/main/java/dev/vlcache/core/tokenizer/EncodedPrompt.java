package dev.vlcache.core.tokenizer;


/**
 * A prompt ready for prefill.
 *
 * @param renderedPrompt the chat template's output, one image placeholder per image
 * @param ids token ids with every image placeholder expanded to the model's image-token count
 * @param layout which positions are image tokens
 * @param images number of images
 */
public record EncodedPrompt(String renderedPrompt, long[] ids, PromptLayout layout, int images) {

	public int length() {
		return this.ids.length;
	}

}
