package dev.vlcache.autoconfigure;

import java.util.List;

import org.springframework.util.Assert;

import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionPolicy;

/**
 * The application's own {@link CompressionPolicy} beans, registered with the engine by name on creation, so that
 * {@code spring.ai.vlcache.compression.policy} and {@code VlCacheChatOptions.policy} select them like the
 * built-in ones. A bean whose name is a built-in policy's stops startup.
 */
public final class VlCacheCompressionPolicies {

	private final List<String> names;

	public VlCacheCompressionPolicies(List<CompressionPolicy> policies) {
		Assert.notNull(policies, "policies must not be null");
		for (CompressionPolicy policy : policies) {
			CompressionPolicies.register(policy);
		}
		this.names = policies.stream().map(CompressionPolicy::name).toList();
	}

	/** The names of the policies this application added. */
	public List<String> names() {
		return this.names;
	}

}
