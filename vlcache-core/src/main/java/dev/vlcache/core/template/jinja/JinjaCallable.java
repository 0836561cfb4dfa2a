package dev.vlcache.core.template.jinja;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/** A function that a template can call: a global such as {@code range}, a macro, or a bound method. */
@FunctionalInterface
public interface JinjaCallable {

	@Nullable Object call(List<@Nullable Object> args, Map<String, @Nullable Object> kwargs);

}
