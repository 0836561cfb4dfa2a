package dev.vlcache.core.tokenizer;

import java.util.List;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.template.ChatTemplate;

/**
 * Chat messages to token ids: renders the chat template, tokenizes (adding BOS unless the template already
 * wrote it), checks that there is one image placeholder per image, and expands each placeholder to that image's
 * number of image tokens, which depends on the image in the families that tile or resize it.
 */
public final class PromptEncoder {

	private final TextTokenizer tokenizer;

	private final ChatTemplate template;

	private final long imageTokenId;

	private final String imageToken;

	private final @Nullable Integer fixedTokensPerImage;

	private final int contextLength;

	/**
	 * @param fixedTokensPerImage the image tokens of every image when they do not depend on it, else {@code null}
	 */
	public PromptEncoder(TextTokenizer tokenizer, ChatTemplate template, int imageTokenId,
			@Nullable Integer fixedTokensPerImage, int contextLength) {
		this.tokenizer = tokenizer;
		this.template = template;
		this.imageTokenId = imageTokenId;
		this.imageToken = tokenizer.tokenText(imageTokenId);
		this.fixedTokensPerImage = fixedTokensPerImage;
		this.contextLength = contextLength;
	}

	public String imageToken() {
		return this.imageToken;
	}

	/**
	 * Renders and tokenizes {@code messages} for a model whose images all have the same token count;
	 * {@code reserve} tokens must still fit in the context after it.
	 */
	public EncodedPrompt encode(List<ChatMessage> messages, boolean addGenerationPrompt, int reserve) {
		int images = (int) messages.stream().mapToLong(ChatMessage::imageCount).sum();
		return encode(messages, fixedCounts(images), addGenerationPrompt, reserve);
	}

	/**
	 * Renders and tokenizes {@code messages} whose images, in prompt order, become {@code imageTokens[i]} tokens
	 * each; {@code reserve} tokens must still fit in the context after it.
	 */
	public EncodedPrompt encode(List<ChatMessage> messages, int[] imageTokens, boolean addGenerationPrompt,
			int reserve) {
		String rendered = this.template.render(messages, addGenerationPrompt);
		return encodeRendered(rendered, imageTokens, reserve);
	}

	/** Tokenizes an already rendered prompt that should contain {@code images} image placeholders. */
	public EncodedPrompt encodeRendered(String rendered, int images, int reserve) {
		return encodeRendered(rendered, fixedCounts(images), reserve);
	}

	private int[] fixedCounts(int images) {
		if (images > 0 && this.fixedTokensPerImage == null) {
			throw new IllegalStateException("This model's image token count depends on each image: prepare the images "
					+ "first (LlavaModel.prepareImages) and encode with their token counts");
		}
		int[] counts = new int[images];
		java.util.Arrays.fill(counts, this.fixedTokensPerImage == null ? 0 : this.fixedTokensPerImage);
		return counts;
	}

	/** Tokenizes an already rendered prompt whose placeholders expand to {@code imageTokens}, in order. */
	public EncodedPrompt encodeRendered(String rendered, int[] imageTokens, int reserve) {
		int images = imageTokens.length;
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
		int imageTotal = java.util.Arrays.stream(imageTokens).sum();
		int length = raw.length - placeholders + imageTotal;
		if (length + Math.max(0, reserve) > this.contextLength) {
			throw new IllegalArgumentException("The prompt is " + length + " tokens (" + imageTotal
					+ " of them image tokens" + (images > 1 ? ": " + describe(imageTokens) : "") + ")"
					+ (reserve > 0 ? " plus " + reserve + " tokens to generate" : "")
					+ ", more than the model's context length of " + this.contextLength + " tokens");
		}
		long[] ids = new long[length];
		boolean[] imageMask = new boolean[length];
		int o = 0;
		int image = 0;
		for (long id : raw) {
			if (id == this.imageTokenId) {
				for (int k = 0; k < imageTokens[image]; k++) {
					imageMask[o] = true;
					ids[o++] = id;
				}
				image++;
			}
			else {
				ids[o++] = id;
			}
		}
		return new EncodedPrompt(rendered, ids, new PromptLayout(imageMask), images);
	}

	private static String describe(int[] imageTokens) {
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < imageTokens.length; i++) {
			sb.append(i == 0 ? "" : ", ").append("image ").append(i + 1).append(' ').append(imageTokens[i]);
		}
		return sb.toString();
	}

}
