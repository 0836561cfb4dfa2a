package dev.vlcache.core.tokenizer;

import java.util.List;

import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.template.ChatTemplate;

/**
 * Chat messages to token ids: renders the chat template, tokenizes (adding BOS unless the template already
 * wrote it), checks that there is one image placeholder per image, and expands each placeholder to the number
 * of image tokens the vision tower produces.
 */
public final class PromptEncoder {

	private final TextTokenizer tokenizer;

	private final ChatTemplate template;

	private final long imageTokenId;

	private final String imageToken;

	private final int tokensPerImage;

	private final int contextLength;

	public PromptEncoder(TextTokenizer tokenizer, ChatTemplate template, int imageTokenId, int tokensPerImage,
			int contextLength) {
		this.tokenizer = tokenizer;
		this.template = template;
		this.imageTokenId = imageTokenId;
		this.imageToken = tokenizer.tokenText(imageTokenId);
		this.tokensPerImage = tokensPerImage;
		this.contextLength = contextLength;
	}

	public String imageToken() {
		return this.imageToken;
	}

	/** Renders and tokenizes {@code messages}; {@code reserve} tokens must still fit in the context after it. */
	public EncodedPrompt encode(List<ChatMessage> messages, boolean addGenerationPrompt, int reserve) {
		int images = (int) messages.stream().mapToLong(ChatMessage::imageCount).sum();
		String rendered = this.template.render(messages, addGenerationPrompt);
		return encodeRendered(rendered, images, reserve);
	}

	/** Tokenizes an already rendered prompt that should contain {@code images} image placeholders. */
	public EncodedPrompt encodeRendered(String rendered, int images, int reserve) {
		String bos = this.template.bosToken();
		boolean addSpecial = bos == null || !rendered.startsWith(bos);
		long[] raw = this.tokenizer.encode(rendered, addSpecial);
		int placeholders = 0;
		for (long id : raw) {
			if (id == this.imageTokenId) {
				placeholders++;
			}
		}
		if (placeholders != images) {
			throw new IllegalArgumentException("The prompt has " + placeholders + " image placeholder(s) ('"
					+ this.imageToken + "') but " + images + " image(s) were given; each image needs its own placeholder");
		}
		int length = raw.length + placeholders * (this.tokensPerImage - 1);
		if (length + Math.max(0, reserve) > this.contextLength) {
			throw new IllegalArgumentException("The prompt is " + length + " tokens (" + placeholders * this.tokensPerImage
					+ " of them image tokens)" + (reserve > 0 ? " plus " + reserve + " tokens to generate" : "")
					+ ", more than the model's context length of " + this.contextLength + " tokens");
		}
		long[] ids = new long[length];
		boolean[] imageMask = new boolean[length];
		int o = 0;
		for (long id : raw) {
			if (id == this.imageTokenId) {
				for (int k = 0; k < this.tokensPerImage; k++) {
					imageMask[o] = true;
					ids[o++] = id;
				}
			}
			else {
				ids[o++] = id;
			}
		}
		return new EncodedPrompt(rendered, ids, new PromptLayout(imageMask), images);
	}

}
