# Convenience targets; the scripts do the work.
.PHONY: run test build debug release fuzz bench clean

run:
	scripts/run.sh

test:
	scripts/test.sh

build debug:
	cmake --preset debug >/dev/null && cmake --build --preset debug

release:
	cmake --preset release >/dev/null && cmake --build --preset release

fuzz:
	scripts/fuzz.sh

clean:
	rm -rf build
