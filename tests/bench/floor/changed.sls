{#- The floor's stand-in for a cinder.conf step of a first deploy: reports a change (writes
    nothing), so the orchestration's onchanges restart step runs as in a real first deploy. #}
bench-floor-changed:
  test.succeed_with_changes:
    - name: nothing written, a change reported
