package dev.vlcache.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeType;

import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheChatOptions;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.image.ImageDecoder;
import dev.vlcache.core.image.ImageException;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.template.ChatMessage;

/**
 * Checks a chat request before any model work: the question, every image (decoded once here, so that a corrupt
 * file is a 4xx and not a failed generation), the options, and that the prompt fits the model's context.
 */
@Component
public class ChatRequestValidator {

	/** Upper bound of {@code maxTokens} accepted from a request. */
	static final int MAX_TOKENS_LIMIT = 1024;

	private final VlCacheChatModel chatModel;

	public ChatRequestValidator(VlCacheChatModel chatModel) {
		this.chatModel = chatModel;
	}

	public ChatJob validate(ChatForm form) {
		String question = form.question();
		if (question == null || question.isBlank()) {
			throw bad("Question missing", "Send the question as a form field named 'question'.");
		}
		List<ChatForm.Upload> uploads = form.uploads();
		List<Media> media = new ArrayList<>();
		List<RgbImage> decoded = new ArrayList<>();
		for (ChatForm.Upload upload : uploads) {
			if (upload.bytes().length == 0) {
				throw bad("Image missing", "The " + upload.name() + " part has no data: choose an image file to send.");
			}
			try {
				decoded.add(ImageDecoder.decode(upload.bytes(), upload.name()));
			}
			catch (ImageException ex) {
				boolean unsupported = String.valueOf(ex.getMessage()).contains("not a supported image");
				throw new BadChatRequestException(
						unsupported ? HttpStatus.UNSUPPORTED_MEDIA_TYPE : HttpStatus.BAD_REQUEST,
						unsupported ? "Unsupported image format" : "Unreadable image", ex.getMessage());
			}
			media.add(Media.builder()
				.mimeType(mimeType(upload.bytes()))
				.data(new ByteArrayResource(upload.bytes()))
				.name(upload.name())
				.build());
		}
		VlCacheChatOptions.Builder options = VlCacheChatOptions.builder();
		if (form.policy() != null && !form.policy().isBlank()) {
			String policy = form.policy().trim().toLowerCase(Locale.ROOT);
			if (!CompressionPolicies.names().contains(policy)) {
				throw bad("Invalid option", "policy '" + form.policy() + "' is not one of " + CompressionPolicies.names());
			}
			options.policy(policy);
		}
		Double budget = parseDouble(form.budgetRatio(), "budgetRatio");
		if (budget != null) {
			if (!(budget > 0 && budget <= 1)) {
				throw bad("Invalid option", "budgetRatio " + form.budgetRatio() + " is outside (0, 1]: it is the share "
						+ "of the prompt's KV cache to keep, e.g. 0.1");
			}
			options.budgetRatio(budget);
		}
		Integer maxTokens = parseInt(form.maxTokens(), "maxTokens");
		if (maxTokens != null) {
			if (maxTokens < 1 || maxTokens > MAX_TOKENS_LIMIT) {
				throw bad("Invalid option", "maxTokens " + maxTokens + " is outside [1, " + MAX_TOKENS_LIMIT + "]");
			}
			options.maxTokens(maxTokens);
		}
		VlCacheChatOptions requestOptions = options.build();
		VlCacheChatOptions effective = this.chatModel.getOptions().overrides(requestOptions);
		try {
			effective.toCompressionOptions();
			effective.toSamplingOptions();
		}
		catch (IllegalArgumentException ex) {
			throw bad("Invalid option", ex.getMessage());
		}
		int reserve = effective.getMaxTokens() != null ? effective.getMaxTokens() : 0;
		LlavaModel model = this.chatModel.getModel();
		List<PreparedImage> prepared;
		try {
			// The model's own image processor: sizes it cannot take are refused here, naming the image and the limit.
			prepared = model.prepareImages(decoded);
		}
		catch (IllegalArgumentException ex) {
			throw bad("Unsupported image size", ex.getMessage());
		}
		try {
			model.encodePrompt(List.of(ChatMessage.user(question, media.size())), prepared, true, reserve);
		}
		catch (IllegalArgumentException ex) {
			throw bad("Question too long", ex.getMessage());
		}
		UserMessage message = UserMessage.builder().text(question).media(media).build();
		return new ChatJob(new Prompt(List.of(message), requestOptions), media.size());
	}

	/** The image's type from its first bytes (browsers and curl do not always declare one). */
	static MimeType mimeType(byte[] bytes) {
		if (startsWith(bytes, 0x89, 'P', 'N', 'G')) {
			return MimeType.valueOf("image/png");
		}
		if (startsWith(bytes, 0xFF, 0xD8)) {
			return MimeType.valueOf("image/jpeg");
		}
		if (startsWith(bytes, 'G', 'I', 'F')) {
			return MimeType.valueOf("image/gif");
		}
		if (startsWith(bytes, 'B', 'M')) {
			return MimeType.valueOf("image/bmp");
		}
		return MimeType.valueOf("image/webp");
	}

	private static boolean startsWith(byte[] bytes, int... prefix) {
		if (bytes.length < prefix.length) {
			return false;
		}
		for (int i = 0; i < prefix.length; i++) {
			if ((bytes[i] & 0xFF) != prefix[i]) {
				return false;
			}
		}
		return true;
	}

	private static @Nullable Double parseDouble(@Nullable String value, String name) {
		if (value == null || value.isBlank()) {
			return null;
		}
		try {
			return Double.parseDouble(value.trim());
		}
		catch (NumberFormatException ex) {
			throw bad("Invalid option", name + " '" + value + "' is not a number");
		}
	}

	private static @Nullable Integer parseInt(@Nullable String value, String name) {
		if (value == null || value.isBlank()) {
			return null;
		}
		try {
			return Integer.parseInt(value.trim());
		}
		catch (NumberFormatException ex) {
			throw bad("Invalid option", name + " '" + value + "' is not a whole number");
		}
	}

	private static BadChatRequestException bad(String title, @Nullable String detail) {
		return new BadChatRequestException(HttpStatus.BAD_REQUEST, title, String.valueOf(detail));
	}

}
