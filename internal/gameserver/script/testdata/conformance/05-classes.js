class Animal {
  #secret = 42;
  static count = 0;
  constructor(name) { this.name = name; Animal.count++; }
  get secret() { return this.#secret; }
  speak() { return `${this.name} makes a sound`; }
  static create(n) { return new this(n); }
}
class Frog extends Animal {
  speak() { return `${super.speak()}: ribbit`; }
}
const f = Frog.create('Freddy');
console.log(f.speak(), f.secret, Animal.count, f instanceof Animal);
console.log(f);
console.log(new Animal('a'));
class Point { constructor() { this.x = 1; this.y = { z: 2 }; } }
console.log(new Point(), [new Point()]);
console.log(Object.getOwnPropertyNames(Frog.prototype), typeof Frog);
class Empty {}
console.log(new Empty());
