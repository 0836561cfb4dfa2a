package dev.vlcache.core.template;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.vlcache.core.template.jinja.JinjaTemplate;
import dev.vlcache.core.template.jinja.TemplateException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real Hugging Face chat templates, and the Jinja and Python features they rely on. */
class JinjaTemplateTest {

	static final String LLAVA_15 = "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

	private static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

	private static final String CHATML = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

	private static final String LLAMA_3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

	private static final String QWEN2_VL = """
			{% set image_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system
			You are a helpful assistant.<|im_end|>
			{% endif %}<|im_start|>{{ message['role'] }}
			{% if message['content'] is string %}{{ message['content'] }}<|im_end|>
			{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content %}{% set image_count.value = image_count.value + 1 %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>
			{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
			{% endif %}""";

	private static Map<String, Object> user(Object content) {
		return Map.of("role", "user", "content", content);
	}

	private static Map<String, Object> assistant(Object content) {
		return Map.of("role", "assistant", "content", content);
	}

	@Test
	void llava15() {
		String out = JinjaTemplate.compile(LLAVA_15).render(Map.of("add_generation_prompt", true, "messages",
				List.of(user(List.of(Map.of("type", "image"), Map.of("type", "text", "text", "What is shown?"))))));
		assertThat(out).isEqualTo("USER: <image>\nWhat is shown? ASSISTANT:");
	}

	@Test
	void llava15WithHistoryAndGenerationBlock() {
		String out = JinjaTemplate.compile(LLAVA_15).render(Map.of("add_generation_prompt", true, "messages",
				List.of(user(List.of(Map.of("type", "text", "text", "Hi"))),
						assistant(List.of(Map.of("type", "text", "text", "Hello"))),
						user(List.of(Map.of("type", "image"), Map.of("type", "image"), Map.of("type", "text", "text", "Compare."))))));
		assertThat(out).isEqualTo("USER: Hi ASSISTANT: Hello USER: <image>\n<image>\nCompare. ASSISTANT:");
	}

	@Test
	void mistralAlternationAndRaiseException() {
		JinjaTemplate t = JinjaTemplate.compile(MISTRAL);
		assertThat(t.render(Map.of("bos_token", "<s>", "eos_token", "</s>", "messages",
				List.of(user("a"), assistant("b"), user("c"))))).isEqualTo("<s>[INST] a [/INST]b</s>[INST] c [/INST]");
		assertThatThrownBy(() -> t.render(Map.of("bos_token", "<s>", "eos_token", "</s>", "messages",
				List.of(user("a"), user("b"))))).isInstanceOf(TemplateException.class)
			.hasMessageContaining("Conversation roles must alternate");
	}

	@Test
	void chatml() {
		assertThat(JinjaTemplate.compile(CHATML).render(Map.of("add_generation_prompt", true, "messages", List.of(user("Hi")))))
			.isEqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
	}

	@Test
	void llama3FilterBindsTighterThanPlus() {
		assertThat(JinjaTemplate.compile(LLAMA_3).render(Map.of("bos_token", "<|begin_of_text|>", "add_generation_prompt",
				true, "messages", List.of(user("  hello  ")))))
			.isEqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>"
					+ "<|start_header_id|>assistant<|end_header_id|>\n\n");
	}

	@Test
	void qwen2VlWithNamespaceIsStringAndInOnDict() {
		String out = JinjaTemplate.compile(QWEN2_VL).render(Map.of("add_generation_prompt", true, "messages",
				List.of(user(List.of(Map.of("type", "image"), Map.of("type", "text", "text", "Describe."))))));
		assertThat(out).isEqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
				+ "<|vision_start|><|image_pad|><|vision_end|>Describe.<|im_end|>\n<|im_start|>assistant\n");
	}

	@Test
	void whitespaceControlTrimBlocksAndLstripBlocks() {
		String template = """
				{%- for m in messages %}
				    {%- if m.role == 'user' %}
				{{ '<|user|>' + m.content.strip() }}
				    {%- endif %}
				{%- endfor %}
				    {% if add_generation_prompt %}
				<|assistant|>
				    {% endif %}
				""";
		assertThat(JinjaTemplate.compile(template).render(Map.of("add_generation_prompt", true, "messages",
				List.of(user(" a "), assistant("x"), user("b"))))).isEqualTo("<|user|>a<|user|>b<|assistant|>\n");
	}

	@Test
	void pythonMethodsAndFilters() {
		Map<String, Object> ctx = Map.of("s", "  Hello World  ", "items", List.of(3, 1, 2), "d",
				Map.of("k", "v"), "tools", List.of(Map.of("name", "f")));
		assertThat(render("{{ s.strip().lower() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.split() }}", ctx))
			.isEqualTo("hello world|Hello World  |  Hello World|['Hello', 'World']");
		assertThat(render("{{ 'a,b'.split(',')[1] }}{{ 'abc'.startswith('a') }}{{ 'abc'.endswith(('x', 'c')) }}", ctx))
			.isEqualTo("bTrueTrue");
		assertThat(render("{{ 'x y'.replace(' ', '-') }} {{ 'ab'.title() }} {{ 'aB'.capitalize() }}", ctx))
			.isEqualTo("x-y Ab Ab");
		assertThat(render("{{ items | sort | join(', ') }} {{ items | length }} {{ items[-1] }} {{ items[::-1] }}", ctx))
			.isEqualTo("1, 2, 3 3 2 [2, 1, 3]");
		assertThat(render("{{ d.get('k') }}{{ d.get('z', 'none') }}{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}", ctx))
			.isEqualTo("vnonek=v");
		assertThat(render("{{ tools | tojson }} {{ {'a': [1, 2.5, none, true]} | tojson }}", ctx))
			.isEqualTo("[{\"name\": \"f\"}] {\"a\": [1, 2.5, null, true]}");
		assertThat(render("{{ tools | map(attribute='name') | list }} {{ undefined_var | default('dflt') }}", ctx))
			.isEqualTo("['f'] dflt");
		assertThat(render("{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ 1 / 2 }} {{ 'a' ~ 1 }} {{ 'ab' * 2 }}", ctx))
			.isEqualTo("3 1 8 0.5 a1 abab");
		assertThat(render("{{ 'yes' if items else 'no' }} {{ 'x' if not items }}|{{ none is none }} {{ 3 is odd }}", ctx))
			.isEqualTo("yes |True True");
	}

	@Test
	void loopsMacrosAndControl() {
		assertThat(render("{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}"
				+ "{{ i }}{{ ',' if not loop.last }}{% endfor %}", Map.of())).isEqualTo("0,2,");
		assertThat(render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }}",
				Map.of())).isEqualTo("Hi A! Hi B?");
		assertThat(render("{% set ns = namespace(found=false) %}{% for m in ['a', 'sys'] %}{% if m == 'sys' %}{% set ns.found = true %}"
				+ "{% endif %}{% endfor %}{{ ns.found }}", Map.of())).isEqualTo("True");
		assertThat(render("{% set x %}in {{ 1 + 1 }}{% endset %}[{{ x }}]{% for a in [] %}a{% else %}empty{% endfor %}", Map.of()))
			.isEqualTo("[in 2]empty");
		assertThat(render("{% for m in msgs if m != 'b' %}{{ loop.index }}{{ m }}{% endfor %}", Map.of("msgs", List.of("a", "b", "c"))))
			.isEqualTo("1a2c");
		assertThat(render("{% raw %}{{ not rendered }}{% endraw %}", Map.of())).isEqualTo("{{ not rendered }}");
	}

	@Test
	void syntaxErrorsNameTheLine() {
		assertThatThrownBy(() -> JinjaTemplate.compile("line one\n{% if x %}\nno end")).isInstanceOf(TemplateException.class)
			.hasMessageContaining("line");
		assertThatThrownBy(() -> JinjaTemplate.compile("{{ x | }}")).isInstanceOf(TemplateException.class);
		assertThatThrownBy(() -> render("{{ x | nosuchfilter }}", Map.of("x", 1))).hasMessageContaining("unknown filter 'nosuchfilter'");
	}

	private static String render(String template, Map<String, ?> context) {
		return JinjaTemplate.compile(template).render(context);
	}

}
