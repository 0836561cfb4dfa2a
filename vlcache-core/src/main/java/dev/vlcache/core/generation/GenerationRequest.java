package dev.vlcache.core.generation;

import java.util.List;

import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.template.ChatMessage;

/**
 * One generation: chat messages whose image parts are filled, in order, by {@code images}.
 *
 * @param messages the conversation, ending with the user's turn
 * @param images the images, in the order their placeholders appear
 * @param sampling token choice and stopping
 * @param compression KV-cache compression after prefill
 */
public record GenerationRequest(List<ChatMessage> messages, List<ImageInput> images, SamplingOptions sampling,
		CompressionOptions compression) {

	public GenerationRequest {
		messages = List.copyOf(messages);
		images = List.copyOf(images);
		if (messages.isEmpty()) {
			throw new IllegalArgumentException("a request needs at least one message");
		}
		long placeholders = messages.stream().mapToLong(ChatMessage::imageCount).sum();
		if (placeholders != images.size()) {
			throw new IllegalArgumentException(
					"the messages have " + placeholders + " image part(s) but " + images.size() + " image(s) were given");
		}
	}

}
