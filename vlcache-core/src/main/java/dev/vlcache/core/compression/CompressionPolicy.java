package dev.vlcache.core.compression;

import dev.vlcache.core.tokenizer.PromptLayout;

/**
 * A KV-cache compression policy. The engine calls {@link #begin} before prefill, feeds the returned run the
 * attention rows it asks for during prefill, then calls {@link CompressionRun#plan()} once and keeps exactly the
 * planned entries of each layer.
 *
 * <p>
 * To add a policy, implement this interface and register it with {@link CompressionPolicies#register}; in a
 * Spring Boot application a bean of this type is registered by the auto-configuration.
 */
public interface CompressionPolicy {

	/** The name requests select the policy by, e.g. {@code vl-cache}. */
	String name();

	/** Starts compressing one prompt. */
	CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers);

}
