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

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	public LlavaModel vlcacheLlavaModel(VlCacheProperties properties, Environment environment,
			ResourceLoader resourceLoader) {
		VlCachePropertiesValidator.validate(properties, environment::getProperty);
		Path folder = modelFolder(properties, resourceLoader.getClassLoader());
		try {
			return LlavaModel.load(folder, new ModelOptions(properties.getDevice(), properties.getDtype(),
					properties.getPrefillChunkTokens()));
		}
		catch (CheckpointException ex) {
			throw new VlCacheModelLoadException(folder.toString(), ex.getMessage(), ex);
		}
		catch (IllegalArgumentException ex) {
			String message = String.valueOf(ex.getMessage());
			String property = message.startsWith("dtype") ? "dtype" : "device";
			Object value = property.equals("dtype") ? properties.getDtype() : properties.getDevice();
			String name = VlCacheProperties.PREFIX + "." + property;
			throw new InvalidVlCachePropertyException(name, environment.getProperty(name, String.valueOf(value)), message);
		}
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
			ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<ChatModelObservationConvention> observationConvention,
			ObjectProvider<VlCacheRequestListener> listeners) {
		VlCacheChatModel.Builder builder = VlCacheChatModel.builder()
			.model(model)
			.defaultOptions(VlCachePropertiesValidator.defaultOptions(properties))
			.observationRegistry(observationRegistry.getIfUnique(() -> ObservationRegistry.NOOP))
			.maxConcurrentRequests(properties.getMaxConcurrentRequests())
			.acquireTimeout(properties.getAcquireTimeout());
		listeners.orderedStream().forEach(builder::listener);
		VlCacheChatModel chatModel = builder.build();
		observationConvention.ifAvailable(chatModel::setObservationConvention);
		return chatModel;
	}

}
