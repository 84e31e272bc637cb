# Tributary in a container: a build stage with the -dev packages, a runtime stage with only the
# shared libraries the binary links, tini as PID 1 and a non-root user.
#   docker build -t tributary .
#   docker run -d -p 8080:8080 -v tributary-data:/var/lib/tributary tributary
# BASE is any Debian 12 image; scripts/container-test passes a locally debootstrapped one.
# Works with the classic builder and with BuildKit. See docs/container.md.
ARG BASE=debian:bookworm

FROM ${BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
# scripts/setup is the one place that knows the package list; copied alone so that the package
# layer is rebuilt only when that list changes.
COPY scripts/setup /src/scripts/setup
RUN /src/scripts/setup && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
# The image is built from scratch each time its sources change: ccache would only fill a layer.
ENV CCACHE_DISABLE=1
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIBUTARY_TESTS=OFF -DTRIBUTARY_TEST_HOOKS=OFF \
 && cmake --build build -j2 \
 && cmake --install build --prefix /opt/tributary --strip >/dev/null \
 && /opt/tributary/bin/tributary version

FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: the shared objects `ldd tributary` names, plus CA certificates for
# https sources, tzdata for cron schedules in a time zone, and tini, which forwards signals and
# reaps the daemon's worker processes.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libcurl4 libxml2 libsqlite3-0 libre2-9 libspdlog1.10 libfmt9 libboost-url1.81.0 \
      libutf8proc2 libcctz2 \
      ca-certificates tzdata tini >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
# A fixed, non-system id so that a bind-mounted host directory can be chowned to match.
ARG TRIBUTARY_UID=10001
RUN groupadd --system --gid "${TRIBUTARY_UID}" tributary \
 && useradd --system --uid "${TRIBUTARY_UID}" --gid tributary --no-create-home \
      --home-dir /var/lib/tributary --shell /usr/sbin/nologin tributary \
 && install -d -o tributary -g tributary -m 0750 /var/lib/tributary

COPY --from=build /opt/tributary/bin/tributary /usr/local/bin/tributary
COPY examples/config.json /etc/tributary/config.json
COPY examples/site /usr/share/tributary/examples/site

# The bundled configuration reads these (${VAR:-default} substitution); override with -e.
ENV TRIBUTARY_LISTEN=0.0.0.0:8080 \
    TRIBUTARY_DATA_DIR=/var/lib/tributary \
    EXAMPLE_ORIGIN=file:///usr/share/tributary/examples/site

# Fails the build when a shared library is missing or the bundled configuration is invalid.
RUN ! ldd /usr/local/bin/tributary | grep 'not found' \
 && tributary check-config /etc/tributary/config.json

USER ${TRIBUTARY_UID}:${TRIBUTARY_UID}
WORKDIR /var/lib/tributary
VOLUME /var/lib/tributary
EXPOSE 8080
STOPSIGNAL SIGTERM
# The binary checks itself (no curl in the image): GET /healthz on the configured listen address.
HEALTHCHECK --interval=5s --timeout=10s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/tributary", "healthcheck", "--config", "/etc/tributary/config.json"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/tributary"]
CMD ["serve", "--config", "/etc/tributary/config.json"]
