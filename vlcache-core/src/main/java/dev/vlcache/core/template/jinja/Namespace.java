package dev.vlcache.core.template.jinja;

import java.util.LinkedHashMap;

/** The mutable object made by {@code namespace(...)}, the one way a loop body can change outer state. */
final class Namespace extends LinkedHashMap<String, Object> {

	private static final long serialVersionUID = 1L;

}
