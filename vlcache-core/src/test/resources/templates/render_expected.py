"""Renders every *.jinja template here on the conversations of cases.json the way transformers'
apply_chat_template does (jinja2's ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, loopcontrols,
the {% generation %} block, raise_exception), and writes expected.json. RealTemplatesTest checks the Java
interpreter against it. Run with any Python that has jinja2: python3 render_expected.py
"""
import glob
import json
import os

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    # transformers' AssistantTracker: {% generation %} renders its body (and marks it as the assistant's).
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                    extensions=[Generation, jinja2.ext.loopcontrols])
env.globals["raise_exception"] = raise_exception

here = os.path.dirname(os.path.abspath(__file__))
cases = json.load(open(os.path.join(here, "cases.json")))
expected = {}
for path in sorted(glob.glob(os.path.join(here, "*.jinja"))):
    name = os.path.basename(path)[:-len(".jinja")]
    template = env.from_string(open(path).read())
    expected[name] = []
    for case in cases:
        messages = []
        for m in case["messages"]:
            content = [{"type": "image"} for _ in range(m.get("images", 0))]
            content += [{"type": "text", "text": m["text"]}]
            messages.append({"role": m["role"], "content": content})
        expected[name].append(template.render(messages=messages, add_generation_prompt=case["add_generation_prompt"],
                                              **case["special_tokens"]))
json.dump(expected, open(os.path.join(here, "expected.json"), "w"), indent=1, ensure_ascii=False)
