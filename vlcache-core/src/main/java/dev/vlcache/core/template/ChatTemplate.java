package dev.vlcache.core.template;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.TokenizerConfig;
import dev.vlcache.core.template.jinja.JinjaTemplate;

/**
 * The checkpoint's own chat template ({@link TokenizerConfig}), rendered like Hugging Face's
 * {@code apply_chat_template}: messages carry content lists of {@code {"type": "image"}} and
 * {@code {"type": "text", "text": ...}} items, and the special tokens of {@code tokenizer_config.json} are in
 * scope.
 */
public final class ChatTemplate {

	private final JinjaTemplate template;

	private final Map<String, Object> specialTokens;

	private final String source;

	public ChatTemplate(String template, Map<String, String> specialTokens, String source) {
		this.source = source;
		try {
			this.template = JinjaTemplate.compile(template);
		}
		catch (RuntimeException ex) {
			throw new CheckpointException("Chat template from " + source + " cannot be parsed: " + ex.getMessage(), ex);
		}
		this.specialTokens = new HashMap<>(specialTokens);
	}

	/** Loads the template of a checkpoint folder. */
	public static ChatTemplate load(Path folder) {
		TokenizerConfig config = TokenizerConfig.load(folder);
		return new ChatTemplate(config.chatTemplate(), config.specialTokens(), config.chatTemplateSource());
	}

	public @Nullable String bosToken() {
		return (String) this.specialTokens.get("bos_token");
	}

	public @Nullable String eosToken() {
		return (String) this.specialTokens.get("eos_token");
	}

	/** Renders {@code messages}; {@code addGenerationPrompt} appends the assistant's turn opener. */
	public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
		List<Map<String, Object>> rendered = new ArrayList<>();
		for (ChatMessage m : messages) {
			List<Map<String, Object>> content = new ArrayList<>();
			for (ChatMessage.Part part : m.parts()) {
				Map<String, Object> item = new LinkedHashMap<>();
				if (part instanceof ChatMessage.Text text) {
					item.put("type", "text");
					item.put("text", text.text());
				}
				else {
					item.put("type", "image");
				}
				content.add(item);
			}
			Map<String, Object> message = new LinkedHashMap<>();
			message.put("role", m.role());
			message.put("content", content);
			rendered.add(message);
		}
		Map<String, Object> context = new HashMap<>(this.specialTokens);
		context.put("messages", rendered);
		context.put("add_generation_prompt", addGenerationPrompt);
		try {
			return this.template.render(context);
		}
		catch (RuntimeException ex) {
			throw new IllegalArgumentException("Chat template (" + this.source + ") failed: " + ex.getMessage(), ex);
		}
	}

}
