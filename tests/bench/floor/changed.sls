{#- The floor's stand-in for a cinder.conf step of a first deploy: reports a change (writes
    nothing), as that step does in a real first deploy. #}
bench-floor-changed:
  test.succeed_with_changes:
    - name: nothing written, a change reported
