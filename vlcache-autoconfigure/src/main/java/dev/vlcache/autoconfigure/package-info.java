/**
 * Spring Boot auto-configuration of the vlcache chat model: properties, the model and chat model beans, health,
 * metrics, the Actuator endpoint and the startup failure analyzer.
 */
@NullMarked
package dev.vlcache.autoconfigure;

import org.jspecify.annotations.NullMarked;
