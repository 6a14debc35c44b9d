{#- The floor of the benchmark: a state that does nothing and reports no change. #}
bench-floor-noop:
  test.succeed_without_changes:
    - name: nothing to do
