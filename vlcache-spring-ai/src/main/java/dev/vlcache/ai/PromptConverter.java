package dev.vlcache.ai;

import java.util.ArrayList;
import java.util.List;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.content.Media;

import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.template.ChatMessage;

/**
 * Spring AI messages to the engine's chat messages and images. Within a user message the images come first, then
 * the text, as LLaVA processors order them; images are numbered across the whole prompt.
 */
final class PromptConverter {

	record Converted(List<ChatMessage> messages, List<ImageInput> images) {
	}

	private PromptConverter() {
	}

	static Converted convert(List<Message> instructions) {
		List<ChatMessage> messages = new ArrayList<>();
		List<ImageInput> images = new ArrayList<>();
		for (Message m : instructions) {
			String text = m.getText() == null ? "" : m.getText();
			if (m instanceof SystemMessage) {
				messages.add(ChatMessage.system(text));
			}
			else if (m instanceof UserMessage user) {
				List<ChatMessage.Part> parts = new ArrayList<>();
				for (Media media : user.getMedia()) {
					images.add(ImageMedia.toImage(media, images.size() + 1));
					parts.add(new ChatMessage.Image());
				}
				parts.add(new ChatMessage.Text(text));
				messages.add(new ChatMessage("user", parts));
			}
			else if (m instanceof AssistantMessage) {
				messages.add(ChatMessage.assistant(text));
			}
			else {
				throw new IllegalArgumentException("Message type " + m.getMessageType()
						+ " is not supported; use system, user and assistant messages");
			}
		}
		if (messages.isEmpty()) {
			throw new IllegalArgumentException("The prompt has no messages");
		}
		return new Converted(messages, images);
	}

}
