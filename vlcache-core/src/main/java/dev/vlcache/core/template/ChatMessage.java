package dev.vlcache.core.template;

import java.util.List;

/**
 * One chat message as a chat template sees it: a role and content parts in order.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param parts text and image parts
 */
public record ChatMessage(String role, List<Part> parts) {

	public ChatMessage {
		parts = List.copyOf(parts);
	}

	public static ChatMessage system(String text) {
		return new ChatMessage("system", List.of(new Text(text)));
	}

	public static ChatMessage assistant(String text) {
		return new ChatMessage("assistant", List.of(new Text(text)));
	}

	/** A user message with {@code images} image parts first, then the text, as LLaVA processors build it. */
	public static ChatMessage user(String text, int images) {
		List<Part> parts = new java.util.ArrayList<>();
		for (int i = 0; i < images; i++) {
			parts.add(new Image());
		}
		parts.add(new Text(text));
		return new ChatMessage("user", parts);
	}

	public long imageCount() {
		return this.parts.stream().filter(Image.class::isInstance).count();
	}

	/** A content part. */
	public sealed interface Part permits Text, Image {

	}

	/** @param text the text */
	public record Text(String text) implements Part {
	}

	/** An image placeholder; the pixels travel separately, in prompt order. */
	public record Image() implements Part {
	}

}
