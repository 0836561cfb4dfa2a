package dev.vlcache.autoconfigure;

import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.vlcache.ai.VlCacheChatModel;

/**
 * Actuator support for the vlcache chat model, each part only when its library is present: the {@code vlcache}
 * health contributor, the {@code vlcache.*} meters, and the {@code vlcache} endpoint.
 */
@AutoConfiguration(after = VlCacheChatAutoConfiguration.class)
@ConditionalOnClass(VlCacheChatModel.class)
@ConditionalOnBean(VlCacheChatModel.class)
public class VlCacheActuatorAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(HealthIndicator.class)
	@ConditionalOnEnabledHealthIndicator("vlcache")
	static class Health {

		@Bean
		@ConditionalOnMissingBean(name = "vlcacheHealthIndicator")
		VlCacheHealthIndicator vlcacheHealthIndicator(ObjectProvider<VlCacheChatModel> chatModel) {
			return new VlCacheHealthIndicator(chatModel);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterBinder.class)
	static class Metrics {

		@Bean
		@ConditionalOnMissingBean
		VlCacheMetrics vlcacheMetrics(ObjectProvider<VlCacheChatModel> chatModel) {
			return new VlCacheMetrics(chatModel);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
	@ConditionalOnAvailableEndpoint(VlCacheEndpoint.class)
	static class EndpointConfiguration {

		@Bean
		@ConditionalOnMissingBean
		VlCacheRecentRequests vlcacheRecentRequests() {
			return new VlCacheRecentRequests();
		}

		@Bean
		@ConditionalOnMissingBean
		VlCacheEndpoint vlcacheEndpoint(ObjectProvider<VlCacheChatModel> chatModel, VlCacheProperties properties,
				VlCacheRecentRequests recent) {
			return new VlCacheEndpoint(chatModel, properties, recent);
		}

	}

}
