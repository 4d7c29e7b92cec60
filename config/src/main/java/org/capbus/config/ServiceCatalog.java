package org.capbus.config;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The activatable services of a bus: every {@code .service} file of its service directories, read into
 * {@link ServiceFile}s by bus name. Immutable; made by {@link #read} on a thread that may block on files (never
 * the event loop) and handed whole to the bus, which replaces its catalog at once.
 *
 * <p>Rules, as dbus-daemon's {@code bus/activation.c}: directories are searched in configuration order and the
 * first file that provides a name wins (within one directory, in file-name order, where dbus-daemon takes whatever
 * its directory listing gives first); a file that does not parse, or provides a name already provided, is skipped
 * with one {@link ConfigProblem} naming the file, the line and the reason, and the others still load; a missing or
 * unreadable directory provides nothing. A file whose name is not its bus name plus {@code .service} is refused in
 * a directory with {@link ServiceDir#strictNaming()} and on a system bus ({@code strictEverywhere}), where the
 * launch helper finds services by that file name.
 *
 * @param services the services by bus name, in search order
 * @param problems the files skipped, and why
 */
public record ServiceCatalog(Map<String, ServiceFile> services, List<ConfigProblem> problems) {
    private static final ServiceCatalog EMPTY = new ServiceCatalog(Map.of(), List.of());

    public ServiceCatalog {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        problems = List.copyOf(problems);
    }

    /** No activatable service. */
    public static ServiceCatalog empty() {
        return EMPTY;
    }

    /** The service providing {@code name}, or null. */
    public ServiceFile get(String name) {
        return services.get(name);
    }

    /**
     * Reads every {@code .service} file of {@code dirs}.
     *
     * @param strictEverywhere whether every file must be named after its bus name (the system bus)
     */
    public static ServiceCatalog read(List<ServiceDir> dirs, boolean strictEverywhere) {
        Map<String, ServiceFile> services = new LinkedHashMap<>();
        List<ConfigProblem> problems = new ArrayList<>();
        for (ServiceDir dir : dirs) {
            for (Path file : serviceFilesOf(dir.path(), problems)) {
                ServiceFile service;
                try {
                    service = ServiceFileParser.parse(file, Files.readAllBytes(file));
                } catch (ConfigException e) {
                    problems.add(ConfigProblem.of(e));
                    continue;
                } catch (IOException e) {
                    problems.add(new ConfigProblem(file, 0, "cannot read: " + e));
                    continue;
                }
                String fileName = file.getFileName().toString();
                if ((strictEverywhere || dir.strictNaming()) && !fileName.equals(service.canonicalFileName())) {
                    problems.add(new ConfigProblem(file, 0, "Service file \"" + file + "\" should have been named \""
                            + service.canonicalFileName() + "\": not loading it"));
                    continue;
                }
                ServiceFile earlier = services.putIfAbsent(service.name(), service);
                if (earlier != null) {
                    problems.add(new ConfigProblem(file, 0, "Service " + service.name()
                            + " already exists in activation entry list (" + earlier.file() + ")"));
                }
            }
        }
        return new ServiceCatalog(services, problems);
    }

    private static List<Path> serviceFilesOf(Path dir, List<ConfigProblem> problems) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.service")) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return List.of(); // a standard directory that does not exist: nothing to say, as dbus-daemon
        } catch (IOException e) {
            problems.add(new ConfigProblem(dir, 0, "cannot read service directory: " + e));
        }
        Collections.sort(files);
        return files;
    }
}
