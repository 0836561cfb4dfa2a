package dev.vlcache.core.template;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat templates of real checkpoints of every family (test resources {@code templates/*.jinja}, as the
 * checkpoints on the Hugging Face hub carry them) render every conversation of {@code templates/cases.json}
 * exactly as Python's jinja2 renders them for transformers' {@code apply_chat_template}; {@code expected.json}
 * was written by {@code templates/render_expected.py}.
 */
class RealTemplatesTest {

	private static final List<String> TEMPLATES = List.of("llava-v1.6-mistral-7b-hf", "llava-onevision-qwen2-ov-hf",
			"qwen2-vl-2b-instruct");

	@TestFactory
	Stream<DynamicTest> everyTemplateRendersAsJinja2Does() throws IOException {
		JsonArray cases = JsonParser.parseString(resource("cases.json")).getAsJsonArray();
		JsonObject expected = JsonParser.parseString(resource("expected.json")).getAsJsonObject();
		assertThat(expected.keySet()).containsExactlyInAnyOrderElementsOf(TEMPLATES);
		List<DynamicTest> tests = new ArrayList<>();
		for (String name : TEMPLATES) {
			String source = resource(name + ".jinja");
			JsonArray outputs = expected.getAsJsonArray(name);
			for (int i = 0; i < cases.size(); i++) {
				JsonObject c = cases.get(i).getAsJsonObject();
				String want = outputs.get(i).getAsString();
				tests.add(DynamicTest.dynamicTest(name + ": " + c.get("name").getAsString(), () -> {
					Map<String, String> special = new java.util.HashMap<>();
					c.getAsJsonObject("special_tokens").entrySet().forEach(e -> special.put(e.getKey(), e.getValue().getAsString()));
					ChatTemplate template = new ChatTemplate(source, special, name);
					assertThat(template.render(messages(c), c.get("add_generation_prompt").getAsBoolean())).isEqualTo(want);
				}));
			}
		}
		return tests.stream();
	}

	private static List<ChatMessage> messages(JsonObject c) {
		List<ChatMessage> out = new ArrayList<>();
		for (JsonElement e : c.getAsJsonArray("messages")) {
			JsonObject m = e.getAsJsonObject();
			String text = m.get("text").getAsString();
			out.add(switch (m.get("role").getAsString()) {
				case "system" -> ChatMessage.system(text);
				case "assistant" -> ChatMessage.assistant(text);
				default -> ChatMessage.user(text, m.has("images") ? m.get("images").getAsInt() : 0);
			});
		}
		return out;
	}

	private static String resource(String name) throws IOException {
		try (InputStream in = RealTemplatesTest.class.getResourceAsStream("/templates/" + name)) {
			assertThat(in).as("test resource templates/%s", name).isNotNull();
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

}
