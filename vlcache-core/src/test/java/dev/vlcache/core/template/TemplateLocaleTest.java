package dev.vlcache.core.template;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.vlcache.core.Fixtures;
import dev.vlcache.core.template.jinja.JinjaTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Templates render as Python renders them whatever the JVM's default locale: in Turkish, Java's
 * {@code "assistant".toUpperCase()} is "ASSİSTANT" (dotted capital I), Python's {@code upper()} is not.
 */
class TemplateLocaleTest {

	private Locale saved;

	@BeforeEach
	void turkish() {
		this.saved = Locale.getDefault();
		Locale.setDefault(Locale.forLanguageTag("tr-TR"));
	}

	@AfterEach
	void restore() {
		Locale.setDefault(this.saved);
	}

	private static final List<ChatMessage> HISTORY = List.of(ChatMessage.user("what color is the circle ?", 1),
			ChatMessage.assistant("red"), ChatMessage.user("and the square ?", 0));

	@Test
	void theFixturesTemplateUppercasesRolesAsPythonDoes() {
		String out = ChatTemplate.load(Fixtures.first()).render(HISTORY, true);
		assertThat(out).isEqualTo("USER: <image>\nwhat color is the circle ? ASSISTANT: red USER: and the square ? ASSISTANT:");
	}

	@Test
	void llavaHfTemplateUppercasesRolesAsPythonDoes() {
		String out = JinjaTemplate.compile(JinjaTemplateTest.LLAVA_15)
			.render(Map.of("add_generation_prompt", true, "messages",
					List.of(Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "Hi"))),
							Map.of("role", "assistant", "content", List.of(Map.of("type", "text", "text", "Hello"))))));
		assertThat(out).isEqualTo("USER: Hi ASSISTANT: Hello ASSISTANT:");
	}

	@Test
	void everyCaseConversionIgnoresTheDefaultLocale() {
		String out = JinjaTemplate
			.compile("{{ 'assistant'.upper() }} {{ 'TITLE'.lower() }} {{ 'istanbul'.title() }} {{ 'INFO'.capitalize() }} "
					+ "{{ 'tip' | upper }} {{ 'KIWI' | lower }} {{ 'IT'.islower() }} {{ 'it'.isupper() }}")
			.render(Map.of());
		assertThat(out).isEqualTo("ASSISTANT title Istanbul Info TIP kiwi False False");
	}

}
