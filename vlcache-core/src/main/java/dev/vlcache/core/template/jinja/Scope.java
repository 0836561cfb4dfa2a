package dev.vlcache.core.template.jinja;

import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/** Variables of one block level; loops and macros open a child scope, as Jinja does. */
final class Scope {

	private final @Nullable Scope parent;

	private final Map<String, @Nullable Object> vars = new HashMap<>();

	Scope(@Nullable Scope parent) {
		this.parent = parent;
	}

	@Nullable Object lookup(String name) {
		for (Scope s = this; s != null; s = s.parent) {
			if (s.vars.containsKey(name)) {
				return s.vars.get(name);
			}
		}
		return Undefined.INSTANCE;
	}

	void set(String name, @Nullable Object value) {
		this.vars.put(name, value);
	}

}
