package dev.vlcache.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;

import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheRequestListener;
import dev.vlcache.core.EmbeddedModel;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.compression.CompressionPolicy;
import dev.vlcache.core.runtime.InvalidDeviceException;
import dev.vlcache.core.runtime.InvalidDtypeException;

/**
 * The vlcache {@link VlCacheChatModel}: active unless {@code spring.ai.model.chat} names another provider
 * ({@code none} turns chat models off).
 */
@AutoConfiguration
@ConditionalOnClass(VlCacheChatModel.class)
@ConditionalOnProperty(name = VlCacheChatAutoConfiguration.CHAT_MODEL_PROPERTY,
		havingValue = VlCacheChatAutoConfiguration.PROVIDER, matchIfMissing = true)
@EnableConfigurationProperties(VlCacheProperties.class)
public class VlCacheChatAutoConfiguration {

	/** Spring AI's switch between chat model providers. */
	public static final String CHAT_MODEL_PROPERTY = "spring.ai.model.chat";

	/** The value of {@value #CHAT_MODEL_PROPERTY} that selects vlcache. */
	public static final String PROVIDER = "vlcache";

	/**
	 * Registers the application's {@link CompressionPolicy} beans by name, before the properties that may name
	 * them are checked.
	 */
	@Bean
	@ConditionalOnMissingBean
	public static VlCacheCompressionPolicies vlcacheCompressionPolicies(ObjectProvider<CompressionPolicy> policies) {
		return new VlCacheCompressionPolicies(policies.orderedStream().toList());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	public LlavaModel vlcacheLlavaModel(VlCacheProperties properties, Environment environment,
			ResourceLoader resourceLoader, VlCacheCompressionPolicies policies) {
		VlCachePropertiesValidator.validate(properties, environment::getProperty);
		Path folder = modelFolder(properties, resourceLoader.getClassLoader());
		try {
			return LlavaModel.load(folder, new ModelOptions(properties.getDevice(), properties.getDtype(),
					properties.getPrefillChunkTokens(), properties.getWeights()));
		}
		catch (CheckpointException ex) {
			throw new VlCacheModelLoadException(folder.toString(), ex.getMessage(), ex);
		}
		catch (InvalidDeviceException ex) {
			throw invalid("device", ex.requested(), ex, environment);
		}
		catch (InvalidDtypeException ex) {
			throw invalid("dtype", ex.requested(), ex, environment);
		}
	}

	private static InvalidVlCachePropertyException invalid(String property, String value, RuntimeException cause,
			Environment environment) {
		String name = VlCacheProperties.PREFIX + "." + property;
		return new InvalidVlCachePropertyException(name, environment.getProperty(name, value),
				String.valueOf(cause.getMessage()));
	}

	private static Path modelFolder(VlCacheProperties properties, @Nullable ClassLoader classLoader) {
		String configured = properties.getModel();
		if (configured == null || configured.isBlank()) {
			Optional<EmbeddedModel> embedded = EmbeddedModel
				.find(classLoader != null ? classLoader : VlCacheChatAutoConfiguration.class.getClassLoader());
			return embedded.map(EmbeddedModel::folder)
				.orElseThrow(() -> new VlCacheModelLoadException("",
						VlCacheProperties.PREFIX + ".model is not set and no embedded demo model is on the classpath"));
		}
		Path folder = Paths.get(configured).toAbsolutePath().normalize();
		if (!Files.isDirectory(folder)) {
			throw new VlCacheModelLoadException(folder.toString(),
					"Model folder '" + folder + "' does not exist or is not a directory");
		}
		if (!Files.isReadable(folder)) {
			throw new VlCacheModelLoadException(folder.toString(), "Model folder '" + folder + "' is not readable");
		}
		return folder;
	}

	@Bean(destroyMethod = "shutdown")
	@ConditionalOnMissingBean
	public VlCacheChatModel vlcacheChatModel(LlavaModel model, VlCacheProperties properties,
			VlCacheCompressionPolicies policies,
			ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<ChatModelObservationConvention> observationConvention,
			ObjectProvider<VlCacheRequestListener> listeners) {
		VlCacheChatModel.Builder builder = VlCacheChatModel.builder()
			.model(model)
			.defaultOptions(VlCachePropertiesValidator.defaultOptions(properties))
			.observationRegistry(observationRegistry.getIfUnique(() -> ObservationRegistry.NOOP))
			.maxBatchSize(properties.getMaxBatchSize())
			.kvCacheMemory(properties.getKvCacheMemory() != null ? properties.getKvCacheMemory().toBytes() : 0)
			.prefillStepTokens(properties.getPrefillStepTokens())
			.acquireTimeout(properties.getAcquireTimeout());
		listeners.orderedStream().forEach(builder::listener);
		VlCacheChatModel chatModel = builder.build();
		observationConvention.ifAvailable(chatModel::setObservationConvention);
		return chatModel;
	}

}
