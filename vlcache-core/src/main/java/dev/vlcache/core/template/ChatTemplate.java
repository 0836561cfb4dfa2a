package dev.vlcache.core.template;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.template.jinja.JinjaTemplate;

/**
 * The checkpoint's own chat template, from {@code chat_template.jinja}, {@code chat_template.json} or the
 * {@code chat_template} field of {@code tokenizer_config.json}, rendered like Hugging Face's
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
		Path tokenizerConfig = folder.resolve("tokenizer_config.json");
		JsonObject config = Files.isRegularFile(tokenizerConfig) ? ConfigParser.readJson(tokenizerConfig)
				: new JsonObject();
		Map<String, String> special = new LinkedHashMap<>();
		for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
			String value = tokenString(config.get(key));
			if (value != null) {
				special.put(key, value);
			}
		}
		Path jinja = folder.resolve("chat_template.jinja");
		Path json = folder.resolve("chat_template.json");
		try {
			if (Files.isRegularFile(jinja)) {
				return new ChatTemplate(Files.readString(jinja), special, jinja.toString());
			}
			if (Files.isRegularFile(json)) {
				String t = templateString(ConfigParser.readJson(json).get("chat_template"));
				if (t != null) {
					return new ChatTemplate(t, special, json.toString());
				}
			}
		}
		catch (IOException ex) {
			throw new CheckpointException("Cannot read chat template in " + folder + ": " + ex.getMessage(), ex);
		}
		String t = templateString(config.get("chat_template"));
		if (t == null) {
			throw new CheckpointException("No chat template in " + folder
					+ ": expected chat_template.jinja, chat_template.json or a \"chat_template\" in tokenizer_config.json");
		}
		return new ChatTemplate(t, special, tokenizerConfig.toString());
	}

	private static @Nullable String templateString(@Nullable JsonElement e) {
		if (e == null || e.isJsonNull()) {
			return null;
		}
		if (e.isJsonPrimitive()) {
			return e.getAsString();
		}
		if (e.isJsonArray()) {
			// A list of named templates: take "default".
			for (JsonElement item : e.getAsJsonArray()) {
				JsonObject o = item.getAsJsonObject();
				if ("default".equals(o.get("name").getAsString())) {
					return o.get("template").getAsString();
				}
			}
		}
		return null;
	}

	private static @Nullable String tokenString(@Nullable JsonElement e) {
		if (e == null || e.isJsonNull()) {
			return null;
		}
		if (e.isJsonPrimitive()) {
			return e.getAsString();
		}
		if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
			return e.getAsJsonObject().get("content").getAsString();
		}
		return null;
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
