package dev.vlcache.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;

/**
 * What the chat template needs of a checkpoint's tokenizer settings: the special tokens of
 * {@code tokenizer_config.json} and the template's text, from {@code chat_template.jinja},
 * {@code chat_template.json} or the {@code chat_template} field of {@code tokenizer_config.json}, in the order
 * transformers prefers them.
 *
 * @param specialTokens {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token} where set
 * @param chatTemplate the template's Jinja text
 * @param chatTemplateSource the file it came from, for errors
 */
public record TokenizerConfig(Map<String, String> specialTokens, String chatTemplate, String chatTemplateSource) {

	/** Reads the tokenizer settings of {@code folder}; a folder without a chat template is an error. */
	public static TokenizerConfig load(Path folder) {
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
				return new TokenizerConfig(special, Files.readString(jinja), jinja.toString());
			}
			if (Files.isRegularFile(json)) {
				String t = templateString(ConfigParser.readJson(json).get("chat_template"));
				if (t != null) {
					return new TokenizerConfig(special, t, json.toString());
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
		return new TokenizerConfig(special, t, tokenizerConfig.toString());
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

}
